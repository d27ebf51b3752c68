"""`python -m sandbox.fal --cert-dir DIR [--port N] ...`: run the FAL stand-in until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from sandbox.fal.config import DEFAULT_KEY, SandboxConfig
from sandbox.fal.server import FalSandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.fal", description=__doc__)
    parser.add_argument("--cert-dir", required=True, type=Path, help="where the CA and server certificate live")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="TLS port of the queue API (0: a free port)")
    parser.add_argument("--http-port", type=int, default=0, help="plain HTTP port: JWKS, files, admin (0: free)")
    parser.add_argument("--run-port", type=int, default=0, help="TLS port of the synchronous run host (0: free)")
    parser.add_argument("--key", default=DEFAULT_KEY, help="the FAL_KEY clients must send")
    parser.add_argument("--queue-delay", type=float, default=2.0)
    parser.add_argument("--processing-delay", type=float, default=5.0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--failure-seed", type=int, default=0)
    parser.add_argument("--retry-time-scale", type=float, default=1.0,
                        help="compress FAL's 2-hour webhook retry schedule (e.g. 0.01)")
    parser.add_argument("--files-over-http", action="store_true", help="give file URLs on the plain port")
    parser.add_argument("--env-file", type=Path, help="also write the client environment here (KEY=VALUE lines)")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    config = SandboxConfig(key=args.key, queue_delay=args.queue_delay, processing_delay=args.processing_delay,
                           failure_rate=args.failure_rate, failure_seed=args.failure_seed,
                           retry_time_scale=args.retry_time_scale, files_over_https=not args.files_over_http)
    sandbox = FalSandbox(args.cert_dir, config, host=args.host, port=args.port, http_port=args.http_port,
                         run_port=args.run_port)
    await sandbox.serve()
    env = sandbox.client_env()
    if args.env_file:
        args.env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    print(json.dumps({"queue_url": sandbox.url, "run_url": sandbox.core.urls.run, "http_url": sandbox.http_url,
                      "jwks_url": sandbox.jwks_url,
                      "admin_url": sandbox.admin_url, "env": env}, indent=2), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.close()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
