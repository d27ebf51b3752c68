"""Real Redis (the session's `services`), a key prefix of its own per test, and quick retry timings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import redis

from local_runner.async_events import EventSettings

T = TypeVar("T")


@pytest.fixture
def event_settings(services: dict[str, str]) -> Iterator[EventSettings]:
    prefix = f"test:{uuid.uuid4().hex[:10]}"
    settings = EventSettings(redis_url=services["REDIS_URL"], prefix=prefix, backoff=(0.1, 0.2),
                             claim_idle=0.6, block=0.05, poll=0.05, consumer=f"c-{uuid.uuid4().hex[:6]}")
    yield settings
    client = redis.Redis.from_url(services["REDIS_URL"])
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))  # the shared server holds many other keys
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, T]], T]:
    def runner(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(asyncio.wait_for(coro, 30))

    return runner
