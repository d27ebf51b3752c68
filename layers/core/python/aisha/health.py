"""Honest health: PostgreSQL, Redis and the bucket are each asked for real, with a short timeout.

`/health` is public and unauthenticated, and a real check costs a PostgreSQL backend, a Redis connection
and a bucket request. `HealthCheck` answers from its last result for `max_age` seconds, so a flood of
probes costs each worker at most one real check per second (bench/soak_bench.py: /health was the
costliest request of the mix) while a dependency that goes down still shows within that second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import psycopg
import redis

from aisha import __version__
from aisha.config import Settings
from aisha.storage import Storage


@dataclass(frozen=True)
class Component:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


def _postgres(settings: Settings, timeout: float) -> None:
    with psycopg.connect(settings.database_url, connect_timeout=max(1, int(timeout))) as conn:
        conn.execute("SELECT 1")


def _redis(settings: Settings, timeout: float) -> None:
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def check(settings: Settings, *, timeout: float = 2.0, storage: Storage | None = None) -> tuple[bool, dict[str, Any]]:
    """Run every check in parallel, each bounded by `timeout`; returns (healthy, report).

    Pass a long-lived `storage` to spare building a boto3 client on every check; the database and
    Redis are connected afresh each time, since reaching them is what is being checked.
    """
    bucket = storage or Storage(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region, timeout=timeout)
    checks: dict[str, Callable[[], None]] = {
        "postgres": lambda: _postgres(settings, timeout),
        "redis": lambda: _redis(settings, timeout),
        "storage": lambda: bucket.ping(settings.s3_bucket_photos),
    }
    components: list[Component] = []
    pool = ThreadPoolExecutor(max_workers=len(checks))
    started = time.monotonic()
    futures = {name: pool.submit(fn) for name, fn in checks.items()}
    for name, future in futures.items():
        remaining = max(0.0, timeout + 0.5 - (time.monotonic() - started))
        try:
            future.result(timeout=remaining)
            components.append(Component(name, True, (time.monotonic() - started) * 1000))
        except FutureTimeout:
            components.append(Component(name, False, timeout * 1000, f"no answer within {timeout:g} s"))
        except Exception as exc:  # any failure of a dependency is a finding, not a crash
            message = str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__
            components.append(Component(name, False, (time.monotonic() - started) * 1000, message))
    pool.shutdown(wait=False, cancel_futures=True)
    healthy = all(c.ok for c in components)
    report: dict[str, Any] = {
        "status": "healthy" if healthy else "unhealthy",
        "version": __version__,
        "components": {
            c.name: {"status": "ok" if c.ok else "down", "latency_ms": round(c.latency_ms, 1),
                     **({"error": c.error} if c.error else {})}
            for c in components
        },
    }
    if not healthy:
        report["failed"] = [c.name for c in components if not c.ok]
    return healthy, report


class HealthCheck:
    """`check` with its result reused for `max_age` seconds (per process: one worker's probes)."""

    def __init__(self, settings: Settings, *, storage: Storage, timeout: float, max_age: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.storage, self.timeout, self.max_age, self.clock = settings, storage, timeout, max_age, clock
        self._last: tuple[float, bool, dict[str, Any]] | None = None

    def run(self) -> tuple[bool, dict[str, Any]]:
        now = self.clock()
        if self._last is None or now - self._last[0] >= self.max_age:
            healthy, report = check(self.settings, timeout=self.timeout, storage=self.storage)
            self._last = (self.clock(), healthy, report)
        return self._last[1], self._last[2]
