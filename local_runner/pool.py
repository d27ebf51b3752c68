"""The workers of one function: warm reuse, bounded scale-up, a bounded queue, provisioned workers, reload.

An invocation takes the most recently used idle worker (warm). With none idle it joins the function's
queue and takes whichever comes first: a worker freeing up or an init finishing; meanwhile the pool
starts inits for the queue (paced past one busy worker per core: `pace.py`), at most `max_inits` at once
for this function and as many as the instance's `Budget` allows, never more workers than the concurrency
cap (`reserved_concurrency`, else the runner's per-function cap). Inits belong to the pool, not to the
caller: a caller that gives up leaves its init running for the next one, and a starting worker is only
killed at its own init limit.

Shedding: a full queue (`max_queue` callers) is refused at once (`Throttled`); a caller waits
`throttle_wait` for a worker, and past it only as long as inits are under way for the queue (or waiting
for an instance init slot), each within its own limit: a function at its cap sheds after
`throttle_wait`; a caller the pace kept waiting that long gets an init regardless of it. `provisioned`
workers are started at once and kept: replaced when they die, after a reload, and never reaped for
idleness. A reload bumps the generation: idle workers of the old generation stop now, busy ones when their
invocation ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from local_runner.budget import Budget
from local_runner.errors import Throttled
from local_runner.logs import LogSink
from local_runner.metrics import Metrics
from local_runner.pace import Pace
from local_runner.runtime_api import RuntimeApi
from local_runner.waits import first_done
from local_runner.worker import Worker, WorkerSpec

PROVISION_RETRY_SECONDS = 5.0  # a provisioned init that failed is tried again after this long
Handed = tuple[Worker, bytes | None]  # a worker ready to run, or a dead one with its init error payload


@dataclass(frozen=True)
class PoolLimits:
    concurrency: int
    throttle_wait: float
    max_inits: int  # inits in flight for this function
    max_queue: int  # callers waiting for a worker
    provisioned: int = 0
    provisioned_init_timeout: float = 130.0


class FunctionPool:
    def __init__(self, spec: WorkerSpec, limits: PoolLimits, api: RuntimeApi, sink: LogSink, metrics: Metrics,
                 budget: Budget) -> None:
        self.spec = spec
        self.name = spec.function
        self.limit = limits.concurrency
        self.limits = limits
        self.provisioned = min(limits.provisioned, limits.concurrency)
        self.api = api
        self.sink = sink
        self.metrics = metrics
        self.budget = budget
        self.peak_starting = 0
        self.spawned = 0
        self.provisioned_ready = self.provisioned == 0
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        self._starting = 0
        self._pending_spawns = 0  # inits whose Worker object does not exist yet (its port is being opened)
        self._waiters: deque[asyncio.Future[Handed]] = deque()
        self._init_tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._busy_since: dict[Worker, float] = {}
        self.pace = Pace()
        self._retry_at = 0.0
        self._init_round: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # done when an init ends
        self._stopped = False
        self._drained = asyncio.Event()
        self._drained.set()
        # Read when scraped, not set on every acquire and release (the invocation path's cost).
        for gauge, read in ((metrics.warm_workers, lambda: len(self._idle)),
                            (metrics.busy_workers, lambda: self._in_flight),
                            (metrics.inits_in_flight, lambda: self._starting),
                            (metrics.queued, lambda: self.queued)):
            metrics.child(gauge, self.name).set_function(read)
        budget.pools.append(self)

    # -- views -----------------------------------------------------------------------------------------
    @property
    def busy(self) -> int:
        return self._in_flight

    @property
    def warm(self) -> int:
        return len(self._idle)

    @property
    def starting(self) -> int:
        return self._starting

    @property
    def queued(self) -> int:
        # A waiter leaves the deque as it is served (`_offer`, `_init_failed`) or gives up (`_abandon`), so
        # every future in it is pending: its length is the queue, read several times per queued invocation.
        return len(self._waiters)

    @property
    def worker_count(self) -> int:
        return len(self._workers)

    def workers(self) -> list[Worker]:
        return list(self._workers)

    def idle_workers(self) -> list[Worker]:
        return list(self._idle)

    def _current(self) -> int:
        return sum(1 for w in self._workers if w.spec.generation == self.spec.generation and w.state != "dead")

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.limits.throttle_wait))

    # -- the invocation side ---------------------------------------------------------------------------
    async def acquire(self) -> Handed:
        """A worker ready for one invocation, or (a dead worker, its init error). Call `release` after."""
        if self.limit == 0:
            raise Throttled(self.name, retry_after=self._retry_after())
        worker = self._pop_idle()
        if worker is not None:
            self._take(worker)
            return worker, None
        if self.queued >= self.limits.max_queue:
            raise Throttled(self.name, retry_after=self._retry_after())
        can_grow = len(self._workers) < self.limit and (self._starting > 0 or self.budget.can_grow(self))
        if not can_grow and self.limits.throttle_wait <= 0:
            raise Throttled(self.name, retry_after=self._retry_after())
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Handed] = loop.create_future()
        self._waiters.append(fut)
        self.scale()
        # Wait `throttle_wait` for a worker; past it, go on waiting while inits are under way for the queue
        # (each has its own limit, and a slot may be waited for first), never longer than the longest limit.
        began = loop.time()
        patience_end = began + self.limits.throttle_wait
        give_up = began + max(self.limits.throttle_wait, self.limits.provisioned_init_timeout)
        try:
            while not fut.done():
                now = loop.time()
                if now >= give_up:
                    break
                if now >= patience_end and not self._scaling():
                    # The pace held inits back, expecting the busy workers to reach this caller first, and they
                    # have not within throttle_wait (a saturated host): start one as Lambda would. Only a
                    # function at its cap, or out of budget, sheds.
                    self.scale(paced=False)
                    if not self._scaling():
                        break
                round_: asyncio.Future[Any] = self._init_round  # done when an init ends: look again then
                await first_done((fut, round_), (patience_end if now < patience_end else give_up) - now)
        except asyncio.CancelledError:
            self._abandon(fut)
            raise
        if not fut.done():
            self._abandon(fut)
            raise Throttled(self.name, retry_after=self._retry_after())
        return fut.result()

    def _scaling(self) -> bool:
        """Inits under way (or waiting for an instance init slot) that can still serve the queue."""
        return not self._stopped and (self._starting > 0 or self.budget.init_pending(self))

    def _abandon(self, fut: asyncio.Future[Handed]) -> None:
        """The caller gave up: a worker handed to it meanwhile goes to the next caller."""
        with contextlib.suppress(ValueError):
            self._waiters.remove(fut)
        if fut.done() and not fut.cancelled():
            worker, _error = fut.result()
            self.release(worker)
        else:
            fut.cancel()

    def _take(self, worker: Worker) -> None:
        self._busy_since[worker] = time.monotonic()
        self._in_flight += 1
        self._drained.clear()

    def _pop_idle(self) -> Worker | None:
        while self._idle:
            worker = self._idle.pop()
            if worker.state == "idle" and worker.spec.generation == self.spec.generation:
                return worker
            worker.kill()
        return None

    def release(self, worker: Worker | None) -> None:
        self._in_flight -= 1
        if worker is not None:
            since = self._busy_since.pop(worker, None)
            if since is not None:
                init = (worker.init_duration_ms or 0) / 1000 if worker.invocations == 1 else None
                self.pace.invoked(time.monotonic() - since, init=init)
            reusable = worker.state == "idle" and worker.spec.generation == self.spec.generation
            if reusable and not self.budget.should_yield(self):
                self._offer(worker)
            else:
                worker.kill()
        if self._in_flight == 0:
            self._drained.set()

    def _offer(self, worker: Worker) -> None:
        """A worker is free: the oldest waiting caller gets it, else it waits idle."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                self._take(worker)
                fut.set_result((worker, None))
                return
        self._idle.append(worker)
        self.budget.worker_idle()

    # -- scaling ---------------------------------------------------------------------------------------
    def scale(self, *, paced: bool = True) -> None:
        """Start the inits the queue and the provisioned count call for, within every limit."""
        while not self._stopped:
            need = self.queued - self._starting
            if paced and need > 0 and not self.pace.worth_an_init(need, self._in_flight):
                need = 0  # the busy workers clear the queue sooner than a new one would start (local_runner/pace.py)
            have = self._current() + self._pending_spawns
            short = self.provisioned - have if time.monotonic() >= self._retry_at else 0
            if need <= 0 and short <= 0:
                return
            if len(self._workers) + self._pending_spawns >= self.limit or self._starting >= self.limits.max_inits:
                return  # at the cap: the queue waits for a release; or enough inits in flight already
            if not self.budget.try_take(self):
                return  # the budget calls scale() again when room or an init slot frees up
            self._starting += 1
            self._pending_spawns += 1
            self.peak_starting = max(self.peak_starting, self._starting)
            task = asyncio.get_running_loop().create_task(self._init(provisioned=need <= 0))
            self._init_tasks.add(task)
            task.add_done_callback(self._init_tasks.discard)

    async def _init(self, *, provisioned: bool) -> None:
        worker: Worker | None = None
        error: bytes | None = None
        try:
            port = await self.api.open_port()
            worker = Worker(self.spec, port, self.sink, self._forget, provisioned=provisioned)
            self.api.attach(worker)
            self._workers.add(worker)
            self._pending_spawns -= 1
            self.spawned += 1
            await worker.start()
            error = await worker.wait_ready(self.limits.provisioned_init_timeout if provisioned else None)
        except Exception as exc:  # the process could not be started: the caller gets it as an init error
            error = json.dumps({"errorType": "Runtime.Unknown", "errorMessage": f"worker start failed: {exc}"}).encode()
        finally:
            self._starting -= 1
            self.budget.init_done()
            if worker is None:
                self._pending_spawns -= 1
                self.budget.give_back(self.spec.memory_mb)
        if worker is not None and error is None and worker.spec.generation != self.spec.generation:
            worker.kill()  # reloaded while it started: serve only the new code
        elif error is not None or worker is None or worker.state == "dead":
            if worker is not None:
                worker.kill()
            self._init_failed(worker, error or b"{}")
        else:
            self.metrics.init_duration.labels(self.name).observe((worker.init_duration_ms or 0) / 1000)
            self._offer(worker)
            if not self.provisioned_ready and self._current() - self._starting >= self.provisioned:
                self.provisioned_ready = True
        round_, self._init_round = self._init_round, asyncio.get_running_loop().create_future()
        round_.set_result(None)  # waiters past their throttle_wait look again
        self.scale()

    def _init_failed(self, worker: Worker | None, error: bytes) -> None:
        """Lambda gives an init error to the invocation waiting for that environment: the oldest caller."""
        while self._waiters and worker is not None:
            fut = self._waiters.popleft()
            if not fut.done():
                self._take(worker)
                fut.set_result((worker, error))
                return
        self.sink.emit(self.name, None, f"init failed: {error.decode('utf-8', 'replace')[:500]}", level="ERROR")
        self._retry_at = time.monotonic() + PROVISION_RETRY_SECONDS
        asyncio.get_running_loop().call_later(PROVISION_RETRY_SECONDS, self.scale)

    def _forget(self, worker: Worker) -> None:
        if worker not in self._workers:
            return
        self._workers.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        self.budget.give_back(worker.spec.memory_mb)
        loop = asyncio.get_running_loop()
        task = loop.create_task(self.api.close_port(worker.port))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        loop.call_soon(self.scale)  # a provisioned worker that died is replaced; the queue may grow again

    # -- housekeeping ----------------------------------------------------------------------------------
    def reap_idle(self, idle_timeout: float) -> int:
        """Stop workers idle for `idle_timeout`, keeping the provisioned ones."""
        now = time.monotonic()
        keep = self.provisioned
        stale = sorted((w for w in self._idle if now - w.last_used > idle_timeout), key=lambda w: w.last_used)
        reaped = 0
        for worker in stale:
            if self._current() <= keep:
                break
            worker.kill()
            reaped += 1
        return reaped

    def reload(self, spec: WorkerSpec | None = None) -> None:
        """New invocations get workers of a new generation; in-flight ones finish on the old."""
        self.spec = replace(spec or self.spec, generation=self.spec.generation + 1)
        for worker in list(self._idle):
            worker.kill()
        self.scale()

    async def drain(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._drained.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def stop(self) -> None:
        self._stopped = True
        while self._waiters:  # callers still queued are refused rather than left to their deadline
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(Throttled(self.name, retry_after=self._retry_after()))
        for task in list(self._init_tasks):
            task.cancel()
        for worker in list(self._workers):
            worker.kill()
            if worker.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    await worker.proc.wait()
        await asyncio.gather(*self._init_tasks, return_exceptions=True)
