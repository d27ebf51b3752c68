"""Benchmark: how long a new user waits for the bot's answer to /start, through the stack `make run` builds.
Prints figures; not a test.

    .venv/bin/python -m bench.start_bench [--users 40] [--warmup 5] [--health 40]

It starts what `make run` starts (the local services, the Telegram and FAL stand-ins, two runner
instances with their provisioned workers, nginx in front of them: infra.run's parts), then, as Telegram
users writing in the stand-in, each a new user:
- cold: the first /start after the stack came up (every runner ready: provisioned workers initialised);
  bot_start answers it from its provisioned worker; bot_help and the other flows start on their first use;
- warm: --users more new users after --warmup, one at a time: p50 / p95 / max;
beside, in the same run: GET /health through nginx, warm (the path's floor: nginx, a runner, one function
that touches PostgreSQL, Redis and S3). A latency is from the user's message reaching the stand-in to the bot's
menu (its second message: the greeting first) being there. Targets (issue 14): warm p95 <= 1 s, cold <= 3 s.
Loopback only; what it started is stopped at the end (services that were running already stay up).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.aisha_stack import aisha_stack
from sandbox.telegram import SandboxClient

TARGET_WARM_P95 = 1.0
TARGET_COLD = 3.0
ANSWER_TIMEOUT = 60.0


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, int(q / 100 * len(data)))]


def start_latency(chat: SandboxClient, language: str = "ru") -> float:
    """Seconds from a new user's /start to the bot's menu in the chat."""
    user = random.randint(10**9, 2 * 10**9)
    chat.set_user(user, first_name="Bench", language_code=language)
    started = time.perf_counter()
    chat.send_text(user, "/start")
    chat.wait_bot_messages(user, count=2, timeout=ANSWER_TIMEOUT)
    return time.perf_counter() - started


def health_latency(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{url}/health", timeout=10) as answer:
        answer.read()
    return time.perf_counter() - started


def row(name: str, values: list[float], target: str = "") -> str:
    if len(values) == 1:
        return f"{name:<38} {values[0] * 1000:>9.0f} ms {'':>24} {target}"
    return (f"{name:<38} p50 {statistics.median(values) * 1000:>5.0f} ms  p95 {pct(values, 95) * 1000:>5.0f} ms"
            f"  max {max(values) * 1000:>5.0f} ms  {target}")


def run(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    with aisha_stack(home, keep_services=args.keep_services) as aisha:
        assert aisha.standins.telegram is not None
        with SandboxClient(aisha.standins.telegram.url) as chat:
            cold = start_latency(chat)
            for _ in range(args.warmup):
                start_latency(chat)
            warm = [start_latency(chat, "ru" if i % 2 else "en") for i in range(args.users)]
        for _ in range(args.warmup):  # as for /start: the client's own first requests are not the figure
            health_latency(aisha.url)
        health = [health_latency(aisha.url) for _ in range(args.health)]
        return {"build": aisha.build_seconds, "ready": aisha.ready_seconds, "cold": cold, "warm": warm,
                "health": health}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.start_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=40, help="warm new users measured (default 40)")
    parser.add_argument("--warmup", type=int, default=5, help="new users before the warm ones (default 5)")
    parser.add_argument("--health", type=int, default=40, help="GET /health through nginx (default 40)")
    parser.add_argument("--keep-services", action="store_true", help="leave PostgreSQL, Redis and S3 running")
    parser.add_argument("--state", type=Path, default=None, help="keep the logs here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.state is not None:
        args.state.mkdir(parents=True, exist_ok=True)
        figures = run(args, args.state)
    else:
        with tempfile.TemporaryDirectory(prefix="start-bench-") as tmp:
            figures = run(args, Path(tmp))
    print(f"cores: {os.cpu_count()}; build {figures['build']:.1f} s (not counted); runners ready "
          f"(provisioned workers up) {figures['ready']:.1f} s after their start")
    print(row("first /start after the stack is ready", [figures["cold"]],
              f"target <= {TARGET_COLD * 1000:.0f} ms"))
    print(row(f"/start, new user, warm (n={len(figures['warm'])})", figures["warm"],
              f"target p95 <= {TARGET_WARM_P95 * 1000:.0f} ms"))
    print(row(f"baseline: GET /health via nginx (n={len(figures['health'])})", figures["health"]))
    met = figures["cold"] <= TARGET_COLD and pct(figures["warm"], 95) <= TARGET_WARM_P95
    print("targets met" if met else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
