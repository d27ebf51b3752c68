"""The stack `make run` builds, for the benchmarks: the local services, the FAL and Telegram stand-ins, two
runner instances serving the real chalice.json (provisioned workers initialised) and nginx in front.

`isolated=True` gives the run a PostgreSQL database of its own (created, migrated, dropped at the end) and
a Redis database of its own (`BENCH_REDIS_DB`, 13 by default: it must be empty; emptied at the end), so a
load run's thousands of deliveries neither stay in the developer's `make run` data nor get processed by its
next start. Services this started are stopped at the end; ones already running stay up.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from bench.loadgen import wrk_available
from infra.devservices import up
from infra.devservices.orchestrate import status
from infra.devservices.postgres import MAX_CONNECTIONS
from infra.devservices.procs import free_port
from infra.migrate import apply_migrations
from infra.run import _stop_services as stop_services  # what `make run` stops at its end, stopped alike
from infra.stack import Stack
from infra.standins import StandIns

ROOT = Path(__file__).resolve().parents[1]
_REAL = ("FAL_KEY", "TELEGRAM_BOT_TOKEN")  # the benchmarks always talk to the stand-ins


@dataclass
class AishaStack:
    stack: Stack
    standins: StandIns
    env: dict[str, str]
    build_seconds: float
    ready_seconds: float  # from the runners' start to every provisioned worker initialised

    @property
    def url(self) -> str:
        return self.stack.url


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


def _with_database(url: str, name: str) -> str:
    return f"{url.rpartition('/')[0]}/{name}"


@contextmanager
def _own_data(env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """A PostgreSQL and a Redis database for this run only; dropped and emptied when it ends."""
    tag = uuid.uuid4().hex[:8]
    redis_url = _redis_db(env["REDIS_URL"], int(os.environ.get("BENCH_REDIS_DB", "13")))
    client = redis.Redis.from_url(redis_url)
    if client.dbsize():
        raise RuntimeError(f"Redis database {redis_url} is not empty; set BENCH_REDIS_DB to an unused one")
    admin = _with_database(env["DATABASE_URL"], "postgres")
    name = f"aisha_bench_{tag}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _with_database(env["DATABASE_URL"], name)
        apply_migrations(url)
        yield {"DATABASE_URL": url, "REDIS_URL": redis_url}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        client.flushdb()
        client.close()


def _redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


@contextmanager
def aisha_stack(home: Path, *, isolated: bool = False, keep_services: bool = False,
                extra_env: Mapping[str, str] | None = None) -> Iterator[AishaStack]:
    """Start it all, wait until every runner is ready, yield; stop everything it started."""
    environ = {k: v for k, v in os.environ.items() if k not in _REAL}
    before = {name for name, port in status(ROOT).items() if port is not None}
    services = up(ROOT, environ)
    ours = [n for n in ("postgres", "redis", "s3") if n in services.started_here and n not in before]
    standins = StandIns(home)
    stack: Stack | None = None
    try:
        env = {**environ, **services.env, **standins.start(environ, telegram_port=0)}
        with _own_data(env) if isolated else nullcontext({}) as own:
            env.update(own)
            env.update(extra_env or {})
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
            standins.register_webhook(stack.url)
            try:
                yield AishaStack(stack, standins, env, built, ready)
            finally:
                stack.stop()
                stack = None
    finally:
        if stack is not None:
            stack.stop()
        standins.stop()
        if ours and not keep_services:
            stop_services(ours)


def run_with_wrk(run: Callable[[Path], int], prefix: str) -> int:
    """`run(home)` in a temporary folder, or exit 2 when wrk (the load generator the benchmarks need) is missing."""
    if not wrk_available():
        print("wrk is needed (apt-get install wrk): the Python client would take the CPU it measures", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        return run(Path(tmp))

