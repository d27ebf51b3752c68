"""The producer side: the Invoke API (and the scheduler) put Event invocations on their function's stream."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from local_runner.async_events.config import EventSettings
from local_runner.async_events.metrics import event_metrics
from local_runner.async_events.records import QueuedEvent
from local_runner.async_events.store import EventStore


class EventQueue:
    """Durable queue of Event invocations. Once `enqueue` returns, the event survives a restart of any
    runner instance (as far as the Redis persistence does: run Redis with appendonly)."""

    def __init__(self, redis_url: str | None = None, *, settings: EventSettings | None = None,
                 redis: Redis | None = None, registry: CollectorRegistry | None = None) -> None:
        settings = settings or EventSettings.from_env()
        if redis_url:
            settings = settings.with_(redis_url=redis_url)
        self.settings = settings
        self.store = EventStore(settings, redis)
        self._metrics = event_metrics(registry)
        self._groups_ready: set[str] = set()

    async def enqueue(self, function_name: str, payload: bytes, request_id: str) -> None:
        if function_name not in self._groups_ready:  # once per function: the stream and its group exist
            await self.store.ensure_group(function_name)
            self._groups_ready.add(function_name)
        event = QueuedEvent(function_name=function_name, payload=payload, request_id=request_id,
                            attempt=1, first_enqueued_at=time.time())
        await self.store.add(event)
        self._metrics.enqueued.labels(function_name).inc()

    async def stats(self) -> dict[str, int]:
        """Entries on the stream, in flight, waiting for a retry, and parked."""
        return await self.store.stats()

    async def ping(self) -> bool:
        return bool(await self.store.redis.ping())

    async def close(self) -> None:
        await self.store.close()
