"""`python -m local_runner serve|invoke|build|package|list|failed`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from local_runner.build import Builder
from local_runner.config import RunnerConfig
from local_runner.errors import RunnerError
from local_runner.limits import limit_problems, size_report
from local_runner.logs import configure_logging
from local_runner.manifest import load_manifest
from local_runner.package.environment import package_environ
from local_runner.runner import Runner
from local_runner.runtime import ensure_runtime

T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local_runner",
                                     description="Run a chalice.json collection as Lambda + API Gateway would.")
    parser.add_argument("--manifest", type=Path, default=Path("chalice.json"), help="default ./chalice.json")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--build-dir", type=Path, default=None, help="default <manifest folder>/build")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--env-file", type=Path, default=None,
                        help="KEY=VALUE settings under the environment's (invoke, failed: default .local/services.env)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP routes, the Invoke API and the async events")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--reload", action="store_true", help="restart a function's workers when its code changes")
    serve.add_argument("--redis-url", default=None, help="Event queue and schedules (default: REDIS_URL)")
    serve.add_argument("--idle-timeout", type=float, default=None, help="seconds before an idle worker stops")
    serve.add_argument("--throttle-wait", type=float, default=None, help="seconds to wait for a slot before 429")
    serve.add_argument("--drain-timeout", type=float, default=30.0)
    invoke = sub.add_parser("invoke", help="invoke one function once (like `sam local invoke`)")
    invoke.add_argument("name")
    invoke.add_argument("--event", default=None, help="JSON file with the event ('-' for stdin; default {})")
    sub.add_parser("build", help="assemble functions and layers, write Lambda zips, print sizes")
    package = sub.add_parser("package", help="the Lambda zips and a SAM template, ready for `sam deploy`")
    package.add_argument("--out", type=Path, required=True, help="folder for template.json and the zips")
    package.add_argument("--secrets-manager-secret", default=None, metavar="NAME",
                         help="read the secret variables from this Secrets Manager secret (a JSON object) "
                              "instead of NoEcho parameters")
    sub.add_parser("list", help="list the functions of the manifest")
    failed = sub.add_parser("failed", help="failed Event invocations: list | replay", add_help=False)
    failed.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


DEFAULT_ENV_FILE = Path(".local/services.env")
_OPERATOR_COMMANDS = ("invoke", "failed")  # the commands an operator types by hand; `serve` gets its env


def _apply_env_file(argv: list[str]) -> None:
    """`--env-file FILE`: KEY=VALUE lines for the variables the environment does not set itself. Without it,
    `invoke` and `failed` read ./.local/services.env when it exists, so they work without sourcing it."""
    path: Path | None = None
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # global options (all take a value), then the command
        if argv[i] == "--env-file" and i + 1 < len(argv):
            path = Path(argv[i + 1])
        elif argv[i].startswith("--env-file="):
            path = Path(argv[i].split("=", 1)[1])
        i += 1 if "=" in argv[i] else 2
    command = argv[i] if i < len(argv) else None
    if path is None and command in _OPERATOR_COMMANDS and DEFAULT_ENV_FILE.exists():
        path = DEFAULT_ENV_FILE
    if path is None:
        return
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    _apply_env_file(argv)
    rest = _failed_args(argv)
    if rest is not None:  # `failed ...` belongs to local_runner.async_events, options and all
        return _failed(rest, err)
    args = build_parser().parse_args(argv)
    quiet = args.command == "invoke" and args.log_level == "INFO"  # the log tail is printed instead
    configure_logging("WARNING" if quiet else args.log_level, err)
    overrides = {"manifest": args.manifest, "stage": args.stage, "build_dir": args.build_dir}
    if args.command == "serve":
        overrides.update(redis_url=args.redis_url, idle_timeout=args.idle_timeout, throttle_wait=args.throttle_wait)
    try:
        config = RunnerConfig.from_env(**overrides)
        if args.command == "serve":
            from local_runner.server import Server

            server = Server(config, args.host, args.port, args.reload, args.drain_timeout)
            run_loop(server.run_forever())
            return 0
        manifest = load_manifest(config.manifest, config.stage)
        if args.command == "list":
            for fn in manifest.functions.values():
                routes = ", ".join(f"{r.method} {r.path}" for r in fn.routes) or "-"
                scheds = ", ".join(s.expression for s in fn.schedules) or "-"
                print(f"{fn.name:20} {fn.handler:16} timeout={fn.lambda_timeout}s memory={fn.lambda_memory_size}MB "
                      f"concurrency={fn.reserved_concurrency if fn.reserved_concurrency is not None else '-'} "
                      f"layers={','.join(fn.layers) or '-'} routes=[{routes}] schedules=[{scheds}]", file=out)
            return 0
        if args.command == "build":
            ensure_runtime(config.build_root)
            artifacts = Builder(manifest, config.build_root, zips=True, progress=_printer(err)).build_all()
            print(size_report(artifacts, manifest), file=out)
            return 2 if limit_problems(artifacts, manifest) else 0
        if args.command == "package":
            from local_runner.package import package_collection

            raw = load_manifest(config.manifest, config.stage, environ=package_environ())
            report, problems = package_collection(raw, config.build_root, args.out, _printer(err),
                                                  secrets_manager_secret=args.secrets_manager_secret)
            print(report, file=out)
            return 2 if problems else 0
        return asyncio.run(_invoke(config, args.name, _read_event(args.event), out, err))
    except (RunnerError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 2


def _printer(err: TextIO) -> Callable[[str], None]:
    started = time.monotonic()

    def progress(line: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {line}", file=err, flush=True)

    return progress


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """On uvloop's event loop when it is installed (pinned in requirements.txt: measured about 15 % less
    CPU in the front per request than asyncio's own loop), else on asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _failed_args(argv: list[str]) -> list[str] | None:
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 1 if "=" in argv[i] else 2  # global options all take a value
    return argv[i + 1:] if i < len(argv) and argv[i] == "failed" else None


def _read_event(path: str | None) -> bytes:
    if path is None:
        return b"{}"
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    json.loads(data or b"{}")
    return data or b"{}"


async def _invoke(config: RunnerConfig, name: str, event: bytes, out: TextIO, err: TextIO) -> int:
    runner = Runner(load_manifest(config.manifest, config.stage), config)
    await runner.start(provision=False)
    try:
        result = await runner.invoke(name, event)
    finally:
        await runner.stop(drain_timeout=1.0)
    err.write(result.log_tail)
    print(result.payload.decode("utf-8", "replace"), file=out)
    return 1 if result.function_error else 0


def _failed(rest: Sequence[str], err: TextIO) -> int:
    try:
        from local_runner.async_events import failed_cli
    except ImportError as exc:
        print(f"error: `failed` needs local_runner.async_events, which is not available ({exc})", file=err)
        return 2
    return failed_cli(list(rest))
