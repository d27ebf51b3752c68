"""The consumer side: every runner instance runs one EventConsumer in the shared group.

Fair per function: each function's stream has its own read loop and its own `concurrency` slots on this
instance, as each Lambda function has its own asynchronous queue, so a backlog of one function never
delays another's events (the runner's worker budget still bounds what runs at once).

Delivery is at least once. An attempt whose function fails is retried after the configured backoff
(Lambda: two retries), then the event is parked on the failure list. An instance that dies mid-event
stops refreshing its entries; after `claim_idle` another instance reclaims them, counting the lost
delivery as an attempt (so an event that kills its runner every time is parked, not looped on). A
function's pending list is scanned every `poll` while it yields entries, and every quarter of `claim_idle`
once a scan found none (an idle instance asked Redis 68 times a second for nothing, 17 functions x 2
instances x every 0.5 s): an entry is reclaimed at most 1.25 x `claim_idle` after its last refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from local_runner.async_events.config import EventSettings
from local_runner.async_events.metrics import event_metrics
from local_runner.async_events.records import QueuedEvent, error_text
from local_runner.async_events.store import EventStore
from local_runner.errors import FunctionNotFound, Throttled
from local_runner.invoke import Invoker
from local_runner.waits import cancel_and_wait

log = logging.getLogger("local_runner.async_events")
STATS_EVERY = 5.0  # seconds between queue gauge updates
PRUNE_EVERY, PRUNE_IDLE = 300.0, 3600.0  # forget consumers with nothing pending, idle for an hour
LOST = "Runtime.InstanceLost: the runner instance running this event stopped acknowledging it"


class EventConsumer:
    def __init__(self, redis_url: str | None, invoker: Invoker, *, settings: EventSettings | None = None,
                 redis: Redis | None = None, registry: CollectorRegistry | None = None,
                 drain_timeout: float = 30.0, functions: Iterable[str] = ()) -> None:
        settings = settings or EventSettings.from_env()
        if redis_url:
            settings = settings.with_(redis_url=redis_url)
        self.settings = settings
        self.invoker = invoker
        self.store = EventStore(settings, redis)
        self.drain_timeout = drain_timeout
        self._metrics = event_metrics(registry)
        self._inflight: dict[str, tuple[QueuedEvent, asyncio.Task[None]]] = {}  # by function + entry id
        self._running: dict[str, int] = {}  # events in flight per function
        self._known = set(functions)  # functions with a read loop (more are found in the functions set)
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._reclaim_at: dict[str, float] = {}  # per function: when its pending list is looked at next
        self._loops: list[asyncio.Task[None]] = []
        self._refresher: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.store.redis.ping()  # fails now when Redis does not answer
        self._stopping.clear()
        moved = await self.store.migrate_single_stream()
        if moved:
            log.warning("moved %d event(s) from the single stream of an earlier version to per-function streams", moved)
        self._known.update(await self.store.function_names())
        self._loops = [asyncio.create_task(self._maintain_loop(), name="events-maintain")]
        self._start_readers()
        self._refresher = asyncio.create_task(self._refresh_loop(), name="events-refresh")

    def _start_readers(self) -> None:
        for name in sorted(self._known - set(self._readers)):
            task = asyncio.create_task(self._read_loop(name), name=f"events-read-{name}")
            self._readers[name] = task
            self._loops.append(task)

    async def stop(self) -> None:
        """Stop taking events, let the running ones finish (up to drain_timeout), then close.
        Events still running after that stay pending and another instance reclaims them."""
        self._stopping.set()
        # The loops end on their own within one blocking read / one poll: cancelling a read whose entries
        # Redis already handed over would leave them pending until another instance reclaims them.
        if self._loops:
            _done, late = await asyncio.wait(self._loops, timeout=self.settings.block + self.settings.poll + 2)
            for task in late:
                await cancel_and_wait(task)
        running = [task for _event, task in self._inflight.values()]
        if running:  # still refreshed meanwhile, so no other instance takes them over while they finish
            _done, late = await asyncio.wait(running, timeout=self.drain_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._refresher is not None:
            await cancel_and_wait(self._refresher)
        await self.store.close()

    @property
    def busy(self) -> int:
        return len(self._inflight)

    def _free(self, function_name: str) -> int:
        return self.settings.concurrency - self._running.get(function_name, 0)

    async def _read_loop(self, function_name: str) -> None:
        block_ms = max(1, int(self.settings.block * 1000))
        await self.store.ensure_group(function_name)
        while not self._stopping.is_set():
            free = self._free(function_name)
            if free <= 0:
                await asyncio.sleep(0.01)
                continue
            try:
                events = await self.store.read_new(function_name, free, block_ms)
            except Exception as exc:  # Redis down or restarting: keep the loop alive, say why
                log.warning("event stream read failed (%s): %s", function_name, exc)
                await asyncio.sleep(self.settings.poll)
                continue
            for event in events:
                self._spawn(event)

    async def _refresh_loop(self) -> None:
        """Reset the idle time of our running entries every third of claim_idle, until stop() ends."""
        while True:
            await asyncio.sleep(self.settings.claim_idle / 3)
            if self._inflight:
                try:
                    await self.store.refresh([event for event, _task in self._inflight.values()])
                except Exception as exc:
                    log.warning("could not refresh running events: %s", exc)

    async def _maintain_loop(self) -> None:
        """Promote due retries, update the queue gauges, reclaim the entries of silent consumers."""
        last_stats = last_prune = 0.0
        while not self._stopping.is_set():
            try:
                await self.store.promote_due()
                now = time.monotonic()
                if now - last_stats >= STATS_EVERY:
                    for state, value in (await self.store.stats()).items():
                        self._metrics.queue.labels(state).set(value)
                    last_stats = now
                if now - last_prune >= PRUNE_EVERY:
                    await self.store.prune_consumers(PRUNE_IDLE)
                    last_prune = now
                self._known.update(await self.store.function_names())
                self._start_readers()
                for name in sorted(self._known):
                    if self._free(name) <= 0 or now < self._reclaim_at.get(name, 0.0):
                        continue
                    reclaimed = await self.store.reclaim(name, self._free(name))
                    for event in reclaimed:
                        log.warning("reclaimed event %s of %s (attempt %d)", event.request_id,
                                    event.function_name, event.attempt)
                        self._spawn(event)
                    if not reclaimed and self.store.scanned(name):
                        # nothing in its pending list was claimable: nothing turns claimable sooner than
                        # its entry's claim_idle, so a look every quarter of that is late by at most that
                        self._reclaim_at[name] = now + self.settings.claim_idle / 4
            except Exception as exc:
                log.warning("event queue maintenance failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.poll)

    def _spawn(self, event: QueuedEvent) -> None:
        key = f"{event.function_name}\0{event.entry_id}"
        if key in self._inflight:
            return
        task = asyncio.create_task(self._guarded(event), name=f"event-{event.request_id}")
        self._inflight[key] = (event, task)
        fn = event.function_name
        self._running[fn] = self._running.get(fn, 0) + 1

        def done(_task: asyncio.Task[None]) -> None:
            self._inflight.pop(key, None)
            self._running[fn] -= 1

        task.add_done_callback(done)

    async def _guarded(self, event: QueuedEvent) -> None:
        try:
            await self._handle(event)
        except Exception:  # Redis failed while recording the outcome: the entry stays pending, is reclaimed
            log.exception("event %s of %s: outcome not recorded; it will be reclaimed and run again",
                          event.request_id, event.function_name)

    async def _handle(self, event: QueuedEvent) -> None:
        s = self.settings
        fn = event.function_name
        if event.attempt > s.max_attempts:
            await self._park(event, event.last_error or LOST, s.max_attempts)
            return
        if event.first_enqueued_at and time.time() - event.first_enqueued_at > s.max_age:
            await self._park(event, f"EventAgeExceeded: older than {s.max_age:.0f} s; {event.last_error}",
                             event.attempt - 1)
            return
        started = time.perf_counter()
        try:
            result = await self.invoker.invoke(fn, event.payload, request_id=event.request_id or None)
        except Throttled as exc:  # as Lambda: throttles are retried without using up an attempt
            self._metrics.outcomes.labels(fn, "throttled").inc()
            await self._retry(event, str(exc), exc.retry_after, count_attempt=False)
            return
        except FunctionNotFound as exc:
            await self._park(event, f"ResourceNotFoundException: {exc}", event.attempt)
            return
        except Exception as exc:
            log.exception("event %s of %s: invoke raised", event.request_id, fn)
            error = f"{type(exc).__name__}: {exc}"
        else:
            if result.function_error is None:
                self._metrics.attempt_seconds.labels(fn).observe(time.perf_counter() - started)
                self._metrics.outcomes.labels(fn, "succeeded").inc()
                await self.store.ack(event)
                return
            error = error_text(result.payload)
        self._metrics.attempt_seconds.labels(fn).observe(time.perf_counter() - started)
        if event.attempt < s.max_attempts:
            await self._retry(event, error, s.backoff[event.attempt - 1], count_attempt=True)
        else:
            await self._park(event, error, event.attempt)

    async def _retry(self, event: QueuedEvent, error: str, delay: float, *, count_attempt: bool) -> None:
        attempt = event.attempt + 1 if count_attempt else event.attempt
        nxt = QueuedEvent(function_name=event.function_name, payload=event.payload, request_id=event.request_id,
                          attempt=attempt, first_enqueued_at=event.first_enqueued_at, last_error=error,
                          replay_of=event.replay_of)
        if await self.store.retry_later(event, nxt, time.time() + delay):
            if count_attempt:
                self._metrics.outcomes.labels(event.function_name, "retried").inc()
            log.warning("event %s of %s failed (attempt %d): %s; retry in %.1f s", event.request_id,
                        event.function_name, event.attempt, error, delay)

    async def _park(self, event: QueuedEvent, error: str, attempts: int) -> None:
        parked = await self.store.park(event, error, attempts)
        if parked is not None:
            self._metrics.outcomes.labels(event.function_name, "parked").inc()
            log.error("event %s of %s parked after %d attempts: %s", event.request_id, event.function_name,
                      attempts, error)
