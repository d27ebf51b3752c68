"""Timers: each schedule fires once per period across all runner instances.

Every instance runs a Scheduler over the same schedules. On each tick it works out the current slot of
every schedule (see expressions.py) and tries `SET key NX EX ttl` on (function, schedule, slot): the one
instance that wins fires it. An instance asks once per slot: a slot it has seen fired, by itself or another
instance, is not asked about again until the next one begins. Firing is an Event invocation (as
EventBridge's): put on the durable queue, so it gets the retries and the failure list. With `durable=False`
the invoker is called directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from local_runner.async_events.config import EventSettings
from local_runner.async_events.expressions import Expression, parse
from local_runner.async_events.metrics import event_metrics
from local_runner.async_events.queue import EventQueue
from local_runner.invoke import Invoker
from local_runner.waits import cancel_and_wait

log = logging.getLogger("local_runner.async_events")


class _ScheduleLike(Protocol):
    expression: str
    input: Any
    name: str


class _FunctionLike(Protocol):
    """A manifest function (local_runner.manifest.Function) is one."""

    name: str
    schedules: Sequence[_ScheduleLike]


@dataclass(frozen=True)
class ScheduledFunction:
    function_name: str
    expression: str
    input: Any = None  # None: EventBridge's "Scheduled Event" is sent
    name: str = ""


@dataclass(frozen=True)
class Firing:
    function_name: str
    schedule: str
    slot: int
    request_id: str


def _flatten(items: Iterable[ScheduledFunction | _FunctionLike]) -> list[ScheduledFunction]:
    out: list[ScheduledFunction] = []
    for item in items:
        if isinstance(item, ScheduledFunction):
            out.append(item)
        else:
            for i, s in enumerate(item.schedules):
                out.append(ScheduledFunction(item.name, s.expression, s.input, s.name or f"{item.name}-{i}"))
    return out


def scheduled_event(name: str, now: float, region: str = "us-east-1", account: str = "123456789012") -> bytes:
    """The event EventBridge sends to a scheduled target."""
    return json.dumps({
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": account, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{name}"], "detail": {},
    }).encode()


class Scheduler:
    def __init__(self, redis_url: str | None, invoker: Invoker,
                 schedules: Iterable[ScheduledFunction | _FunctionLike], *, settings: EventSettings | None = None,
                 redis: Redis | None = None, registry: CollectorRegistry | None = None, durable: bool = True,
                 tick: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        settings = settings or EventSettings.from_env()
        if redis_url:
            settings = settings.with_(redis_url=redis_url)
        self.settings = settings
        self.invoker = invoker
        self.schedules: list[tuple[ScheduledFunction, Expression]] = [(s, parse(s.expression))
                                                                      for s in _flatten(schedules)]
        self.redis: Redis = redis if redis is not None else Redis.from_url(settings.redis_url)
        self.queue = EventQueue(settings=settings, redis=self.redis, registry=registry) if durable else None
        self.tick = tick
        self.clock = clock
        self._metrics = event_metrics(registry)
        self._loop: asyncio.Task[None] | None = None
        self._direct: set[asyncio.Task[None]] = set()
        # the slot each schedule is known to have fired in (by this instance or another): a tick asks Redis
        # only when a new slot begins, not every second (an idle runner's largest share of Redis commands)
        self._settled: dict[int, int] = {}

    async def start(self) -> None:
        if self.schedules and self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="scheduler")

    async def stop(self) -> None:
        if self._loop is not None:
            if not await cancel_and_wait(self._loop):
                log.error("the scheduler's loop did not stop")
            self._loop = None
        if self._direct:
            await asyncio.wait(self._direct, timeout=5)
        await self.redis.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception as exc:  # Redis away for a moment: the next tick tries again
                log.warning("scheduler tick failed: %s", exc)
            await asyncio.sleep(self.tick)

    async def run_due(self, now: float | None = None) -> list[Firing]:
        """Fire every schedule whose current slot no instance has fired yet; returns what this one fired."""
        now = self.clock() if now is None else now
        fired: list[Firing] = []
        for index, (sched, expr) in enumerate(self.schedules):
            slot = expr.slot(now)
            if slot is None or self._settled.get(index) == slot:
                continue
            key = self.settings.slot_key(sched.function_name, sched.name or sched.expression, slot)
            ttl = 2 * expr.slot_seconds() + 60
            if not await self.redis.set(key, self.settings.consumer, nx=True, ex=ttl):
                self._settled[index] = slot  # another instance fired it
                continue
            request_id = str(uuid.uuid4())
            payload = (scheduled_event(sched.name or sched.function_name, now) if sched.input is None
                       else json.dumps(sched.input).encode())
            try:
                await self._fire(sched.function_name, payload, request_id)
            except Exception:
                await self.redis.delete(key)  # not fired after all: let the next tick (of any instance) retry
                raise
            self._settled[index] = slot
            self._metrics.schedule_fires.labels(sched.function_name, sched.name).inc()
            fired.append(Firing(sched.function_name, sched.name, slot, request_id))
        return fired

    async def _fire(self, function_name: str, payload: bytes, request_id: str) -> None:
        if self.queue is not None:
            await self.queue.enqueue(function_name, payload, request_id)
            return

        async def call() -> None:
            try:
                result = await self.invoker.invoke(function_name, payload, request_id=request_id)
                if result.function_error:
                    log.error("scheduled %s failed: %s", function_name, result.payload[:500])
            except Exception:
                log.exception("scheduled %s could not be invoked", function_name)

        task = asyncio.create_task(call())
        self._direct.add(task)
        task.add_done_callback(self._direct.discard)
