"""The workers of one function: warm reuse, cold starts, the concurrency cap with a bounded wait, reload.

Concurrency is a semaphore of `reserved_concurrency` slots (or the runner's per-function cap): a caller
waits at most `throttle_wait` seconds for a slot, then gets `Throttled`. Inside a slot the most recently
used idle worker is reused (warm); with none idle a new worker starts (cold). A reload bumps the
generation: idle workers of the old generation stop now, busy ones when their invocation ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import replace

from local_runner.errors import Throttled
from local_runner.logs import LogSink
from local_runner.metrics import Metrics
from local_runner.runtime_api import RuntimeApi
from local_runner.worker import Worker, WorkerSpec


class FunctionPool:
    def __init__(self, spec: WorkerSpec, limit: int, throttle_wait: float, api: RuntimeApi, sink: LogSink,
                 metrics: Metrics) -> None:
        self.spec = spec
        self.name = spec.function
        self.limit = limit
        self.throttle_wait = throttle_wait
        self.api = api
        self.sink = sink
        self.metrics = metrics
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._drained.set()

    @property
    def busy(self) -> int:
        return self._in_flight

    @property
    def warm(self) -> int:
        return len(self._idle)

    def workers(self) -> list[Worker]:
        return list(self._workers)

    async def acquire(self) -> tuple[Worker | None, bytes | None]:
        """(a worker ready for an invocation, None) or (the dead worker, its init error payload).

        Holds one concurrency slot until `release`; raises Throttled when none frees up in time."""
        if self.limit == 0 or (self._slots.locked() and self.throttle_wait <= 0):
            raise Throttled(self.name, retry_after=max(1, math.ceil(self.throttle_wait)))
        try:
            await asyncio.wait_for(self._slots.acquire(), self.throttle_wait)
        except TimeoutError:
            raise Throttled(self.name, retry_after=max(1, math.ceil(self.throttle_wait))) from None
        self._in_flight += 1
        self._drained.clear()
        self._update_gauges()
        try:
            while self._idle:
                worker = self._idle.pop()
                if worker.state == "idle" and worker.spec.generation == self.spec.generation:
                    return worker, None
                await self._stop(worker)
            worker = await self._spawn()
            error = await worker.wait_ready()
        except BaseException:
            self.release(None)
            raise
        if error is not None:
            worker.kill()
            return worker, error
        self.metrics.init_duration.labels(self.name).observe((worker.init_duration_ms or 0) / 1000)
        return worker, None

    def release(self, worker: Worker | None) -> None:
        self._in_flight -= 1
        self._slots.release()
        if worker is not None:
            if worker.state == "idle" and worker.spec.generation == self.spec.generation:
                self._idle.append(worker)
            else:
                worker.kill()
        if self._in_flight == 0:
            self._drained.set()
        self._update_gauges()

    async def _spawn(self) -> Worker:
        port = await self.api.open_port()
        worker = Worker(self.spec, port, self.sink, self._forget)
        self.api.attach(worker)
        self._workers.add(worker)
        try:
            await worker.start()
        except BaseException:
            worker.kill()
            raise
        return worker

    def _forget(self, worker: Worker) -> None:
        self._workers.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        task = asyncio.get_running_loop().create_task(self.api.close_port(worker.port))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        self._update_gauges()

    async def _stop(self, worker: Worker) -> None:
        worker.kill()
        if worker.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                await worker.proc.wait()

    def reap_idle(self, idle_timeout: float) -> int:
        now = time.monotonic()
        stale = [w for w in self._idle if now - w.last_used > idle_timeout]
        for worker in stale:
            worker.kill()
        return len(stale)

    def reload(self, spec: WorkerSpec | None = None) -> None:
        """New invocations get workers of a new generation; in-flight ones finish on the old."""
        self.spec = replace(spec or self.spec, generation=self.spec.generation + 1)
        for worker in list(self._idle):
            worker.kill()

    async def drain(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._drained.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def stop(self) -> None:
        for worker in list(self._workers):
            await self._stop(worker)

    def _update_gauges(self) -> None:
        self.metrics.warm_workers.labels(self.name).set(len(self._idle))
        self.metrics.busy_workers.labels(self.name).set(self._in_flight)

