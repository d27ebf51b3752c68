"""`python -m local_runner failed list|replay`: inspect and replay parked Event invocations.

The runner's CLI dispatches `failed ...` here: `failed_cli(argv)` with argv after the word `failed`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from redis.exceptions import RedisError

from local_runner.async_events.config import EventSettings
from local_runner.async_events.errors import EventError
from local_runner.async_events.store import EventStore


def build_parser(prog: str = "python -m local_runner failed") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Event invocations parked after their last attempt.")
    parser.add_argument("--redis-url", help="default: $REDIS_URL")
    parser.add_argument("--prefix", help="queue key prefix (default: $RUNNER_EVENTS_PREFIX or lambda:events)")
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="show parked events, oldest first")
    ls.add_argument("--json", action="store_true", help="one JSON object per line, with the payload")
    ls.add_argument("--function", help="only this function's")
    rp = sub.add_parser("replay", help="put parked events back on the queue with fresh attempts")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", default=[], metavar="ID", help="failure ids (the request ids)")
    which.add_argument("--all", action="store_true", help="every parked event (of --function if given)")
    rp.add_argument("--function", help="with --all: only this function's")
    return parser


async def _list(store: EventStore, args: argparse.Namespace, out: TextIO) -> int:
    failures = [f for f in await store.failures() if not args.function or f.function_name == args.function]
    for f in failures:
        print(json.dumps(f.to_json()) if args.json else f.summary(), file=out)
    if not args.json:
        print(f"{len(failures)} parked event(s)", file=out)
    return 0


async def _replay(store: EventStore, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.all:
        ids = [f.failure_id for f in await store.failures()
               if not args.function or f.function_name == args.function]
    else:
        ids = list(args.ids)
    status = 0
    for failure_id in ids:
        try:
            entry = await store.replay(failure_id)
        except EventError as exc:
            print(f"error: {exc}", file=err)
            status = 1
            continue
        print(f"replayed {failure_id} as stream entry {entry}", file=out)
    if args.all:
        print(f"{len(ids)} event(s) replayed", file=out)
    return status


async def run_failed(args: argparse.Namespace, settings: EventSettings, out: TextIO, err: TextIO) -> int:
    store = EventStore(settings)
    try:
        if args.command == "list":
            return await _list(store, args, out)
        return await _replay(store, args, out, err)
    finally:
        await store.close()


def failed_cli(argv: Sequence[str], environ: Mapping[str, str] | None = None, out: TextIO | None = None,
               err: TextIO | None = None) -> int:
    """Entry point for `failed list|replay`; returns the exit status."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    args = build_parser().parse_args(list(argv))
    overrides: dict[str, object] = {}
    if args.redis_url:
        overrides["redis_url"] = args.redis_url
    if args.prefix:
        overrides["prefix"] = args.prefix
    try:
        settings = EventSettings.from_env(environ, **overrides)
        return asyncio.run(run_failed(args, settings, out, err))
    except (EventError, OSError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    except RedisError as exc:
        print(f"error: Redis at {settings.redis_url} ({exc}); set REDIS_URL or --redis-url", file=err)
        return 2
