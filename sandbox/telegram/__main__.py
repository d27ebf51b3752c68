"""``python -m sandbox.telegram --port 8081 --token 123:ABC...``: a local Telegram Bot API stand-in."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Sequence

from .config import SandboxConfig, generate_token
from .runner import serve


def parse_args(argv: Sequence[str] | None = None) -> SandboxConfig:
    parser = argparse.ArgumentParser(prog="python -m sandbox.telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    parser.add_argument("--token", default=None, help="the bot token to accept (random if not given)")
    parser.add_argument("--bot-username", default="aisha_sandbox_bot")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiplies retry backoff and the maximum update age (0.01 = 100x faster)")
    parser.add_argument("--allow-remote-urls", action="store_true",
                        help="let the bot send photos/documents by non-loopback URLs (fetched from the internet)")
    args = parser.parse_args(argv)
    return SandboxConfig(token=args.token or generate_token(), host=args.host, port=args.port,
                         bot_username=args.bot_username, time_scale=args.time_scale,
                         allow_remote_urls=args.allow_remote_urls)


def main(argv: Sequence[str] | None = None) -> None:
    config = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, announce=lambda text: print(text, flush=True)))


if __name__ == "__main__":
    main()
