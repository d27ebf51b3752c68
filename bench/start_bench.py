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

from infra.devservices import up
from infra.devservices.orchestrate import status
from infra.devservices.postgres import MAX_CONNECTIONS
from infra.devservices.procs import free_port
from infra.run import _stop_services as stop_services  # what `make run` stops at its end, stopped alike
from infra.stack import Stack
from infra.standins import StandIns
from sandbox.telegram import SandboxClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_WARM_P95 = 1.0
TARGET_COLD = 3.0
ANSWER_TIMEOUT = 60.0
_REAL = ("FAL_KEY", "TELEGRAM_BOT_TOKEN")  # the bench always talks to the stand-ins


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


def wait_ready(stack: Stack, timeout: float = 180.0) -> None:
    """Every runner answers /_runner/ready: its provisioned workers are initialised."""
    deadline = time.monotonic() + timeout
    for runner in stack.runners:
        while True:
            try:
                with urllib.request.urlopen(f"{runner.url}/_runner/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"runner {runner.url} not ready after {timeout:.0f} s")
            time.sleep(0.05)


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
    environ = {k: v for k, v in os.environ.items() if k not in _REAL}
    before = {name for name, port in status(ROOT).items() if port is not None}
    services = up(ROOT, environ)
    ours = [n for n in ("postgres", "redis", "s3") if n in services.started_here and n not in before]
    standins = StandIns(home)
    stack: Stack | None = None
    try:
        env = {**environ, **services.env, **standins.start(environ, telegram_port=0)}
        nginx_port = free_port()
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{nginx_port}"
        local_db = "postgres" not in services.external
        stack = Stack(manifest=ROOT / "chalice.json", env=env, state=home, runner_ports=(free_port(), free_port()),
                      nginx_port=nginx_port, db_max_connections=MAX_CONNECTIONS if local_db else 0)
        built = time.perf_counter()
        stack.build()
        built = time.perf_counter() - built
        up_since = time.perf_counter()
        stack.start(build=False)
        wait_ready(stack)
        ready = time.perf_counter() - up_since
        assert standins.telegram is not None
        standins.register_webhook(stack.url)
        with SandboxClient(standins.telegram.url) as chat:
            cold = start_latency(chat)
            for _ in range(args.warmup):
                start_latency(chat)
            warm = [start_latency(chat, "ru" if i % 2 else "en") for i in range(args.users)]
        for _ in range(args.warmup):  # health has no provisioned worker: its first call on each runner is cold
            health_latency(stack.url)
        health = [health_latency(stack.url) for _ in range(args.health)]
        return {"build": built, "ready": ready, "cold": cold, "warm": warm, "health": health}
    finally:
        if stack is not None:
            stack.stop()
        standins.stop()
        if ours and not args.keep_services:
            stop_services(ours)


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
