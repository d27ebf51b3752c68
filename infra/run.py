"""`make run`: the local services, two runner instances and nginx in front of them, until Ctrl-C.

Without FAL_KEY / TELEGRAM_BOT_TOKEN the local FAL and Telegram stand-ins take their place, the bot's
webhook is registered with the stand-in, and the chat page is printed: the whole product on one machine.
Ports: runners 8001 and 8002, nginx 8080, the Telegram stand-in 8081, each replaced by a free port when
taken. On Ctrl-C or SIGTERM everything this started is stopped: nginx, the runners (which drain), the
stand-ins, and the services it brought up (services that were already running are left alone).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from infra.devservices import up
from infra.devservices.orchestrate import down, state_dir, status
from infra.devservices.postgres import MAX_CONNECTIONS, Postgres
from infra.devservices.redis_server import RedisServer
from infra.devservices.s3 import S3Server
from infra.stack import Stack, StackError, pick_port
from infra.standins import StandIns

ROOT = Path(__file__).resolve().parents[1]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.run", description=__doc__)
    parser.add_argument("--manifest", type=Path, default=ROOT / "chalice.json")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--ports", type=int, nargs="+", default=[8001, 8002], help="runner ports (one per instance)")
    parser.add_argument("--nginx-port", type=int, default=8080)
    parser.add_argument("--state", type=Path, default=ROOT / ".local", help="logs and nginx's folder")
    parser.add_argument("--build-dir", type=Path, default=None, help="default: <manifest folder>/build")
    parser.add_argument("--keep-services", action="store_true", help="leave the services running at exit")
    return parser


def _masked(url: str) -> str:
    """A URL without its password: settings may come from the environment and never get printed."""
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def _stop_services(names: Sequence[str]) -> None:
    if set(names) == {"postgres", "redis", "s3"}:
        down(ROOT)  # also forgets .local/services.env
        return
    local = state_dir(ROOT)
    for name in names:
        {"postgres": lambda: Postgres(local / "pg").stop(), "redis": lambda: RedisServer(local / "redis").stop(),
         "s3": lambda: S3Server(local / "s3", ROOT).stop()}[name]()


SLOW_READY_SECONDS = 60.0  # a provisioned init failing or stuck: said once, the runners keep trying


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    before = {name for name, port in status(ROOT).items() if port is not None}
    services = up(ROOT)
    ours = [name for name in ("postgres", "redis", "s3") if name in services.started_here and name not in before]
    standins = StandIns(args.state)
    env = {**os.environ, **services.env, **standins.start(os.environ)}
    nginx_port = pick_port(args.nginx_port, set(args.ports))
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{nginx_port}")
    # The local cluster's max_connections is known: share it among the instances (an external database's
    # share is the operator's to set with RUNNER_MAX_CONNECTIONS).
    local_db = "postgres" not in services.external
    stack = Stack(manifest=args.manifest, env=env, state=args.state, runner_ports=args.ports,
                  nginx_port=nginx_port, stage=args.stage, build_dir=args.build_dir, show_build_progress=True,
                  db_max_connections=MAX_CONNECTIONS if local_db else 0)
    try:
        print("building functions and layers ...", flush=True)
        stack.start()
        standins.register_webhook(env["PUBLIC_BASE_URL"])
        print("Aisha functions are running:")
        print(f"  nginx    {stack.url}   (webhooks: /webhook/fal/..., /webhook/telegram; /health)")
        for runner in stack.runners:
            print(f"  runner   {runner.url}   (logs: {runner.log})")
        urls = (f"{k}={_masked(v)}" for k, v in sorted(services.env.items()) if k.endswith("URL"))
        print(f"  services {', '.join(urls)}")
        for line in standins.describe():
            print(line)
        print("Ctrl-C stops everything started here.", flush=True)
        reported: set[int] = set()
        up_since, ready_said, slow_said = time.monotonic(), False, False
        while not stop.wait(1.0 if ready_said or slow_said else 0.2):
            waited = time.monotonic() - up_since
            alive = [r for r in stack.runners if r.alive()]
            if not ready_said and alive and all(r.ready() for r in alive):
                ready_said = True  # provisioned workers take a few seconds more than the banner
                print(f"ready: every instance's provisioned workers are up ({waited:.1f} s after the above)",
                      flush=True)
            elif not ready_said and not slow_said and waited > SLOW_READY_SECONDS:
                slow_said = True
                print(f"not ready after {SLOW_READY_SECONDS:.0f} s: GET /_runner/ready on each runner says "
                      f"what is missing; their logs say why", file=sys.stderr, flush=True)
            dead = [r for r in stack.runners if not r.alive()]
            for runner in dead:
                if runner.port not in reported:
                    reported.add(runner.port)
                    print(f"runner on port {runner.port} exited; nginx sends its traffic to the others "
                          f"(see {runner.log})", file=sys.stderr)
            if dead and len(dead) == len(stack.runners):
                print("every runner instance exited; stopping", file=sys.stderr)
                return 1
            if stack.nginx is not None and stack.nginx.proc is not None and stack.nginx.proc.poll() is not None:
                print("nginx exited; stopping", file=sys.stderr)
                return 1
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave half a stop behind
        stack.stop()
        standins.stop()
        if not args.keep_services and ours:
            _stop_services(ours)
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
