"""The worker budget of one runner instance: what all functions' pools may hold together.

A new worker needs one init slot (inits in flight, per instance) and room in three totals: workers,
memory (each worker reserves its function's `lambda_memory_size`) and database connections (each worker
reserves `connections_per_worker`, a number the runner cannot know about the function's code, so it is
a setting). When a worker does not fit, the least recently used idle worker of another function (above
its provisioned count) is stopped to make room; failing that, the pool waits its turn (FIFO across
pools) and is called back when something frees up. A pool that holds more than its fair share of the
workers while another pool waits gives a worker back instead of reusing it (`should_yield`).
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_runner.pool import FunctionPool
    from local_runner.worker import Worker


@dataclass(frozen=True)
class Limits:
    """Per instance. 0 in a limit means unlimited (connections) or "the default" (see `resolve`)."""

    max_workers: int
    max_memory_mb: int
    max_inits: int
    connections_per_worker: int = 0
    max_connections: int = 0

    @classmethod
    def resolve(cls, max_workers: int = 0, max_memory_mb: int = 0, max_inits: int = 0,
                connections_per_worker: int = 0, max_connections: int = 0) -> Limits:
        """Defaults: inits = the number of cores, workers = 8 per core, memory = half the physical memory."""
        cores = os.cpu_count() or 1
        return cls(max_workers=max_workers or 8 * cores, max_memory_mb=max_memory_mb or _half_memory_mb(),
                   max_inits=max_inits or cores, connections_per_worker=connections_per_worker,
                   max_connections=max_connections)


def _half_memory_mb() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (2 * 1024 * 1024))
    except (ValueError, OSError):
        return 4096


class Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.workers = 0
        self.memory_mb = 0
        self.inits = 0
        self.peak_workers = 0
        self.peak_inits = 0
        self.pools: list[FunctionPool] = []
        self._waiting: deque[FunctionPool] = deque()
        self._starved: set[str] = set()  # pools waiting for room (not merely for an init slot)
        self._wake_scheduled = False

    @property
    def connections(self) -> int:
        return self.workers * self.limits.connections_per_worker

    def _fits(self, memory_mb: int) -> bool:
        lim = self.limits
        return (self.workers < lim.max_workers and self.memory_mb + memory_mb <= lim.max_memory_mb
                and (lim.max_connections <= 0
                     or self.connections + lim.connections_per_worker <= lim.max_connections))

    def can_grow(self, pool: FunctionPool) -> bool:
        """Could a worker of `pool` start soon (room now, or an idle worker of another function to stop)?"""
        return self._fits(pool.spec.memory_mb) or self._victim(pool) is not None

    def try_take(self, pool: FunctionPool) -> bool:
        """Reserve one worker and one init slot for `pool`; False (and queued for a call back) when full."""
        if self.inits >= self.limits.max_inits:
            self._wait(pool, starved=False)
            return False
        while not self._fits(pool.spec.memory_mb):
            victim = self._victim(pool)
            if victim is None:
                self._wait(pool, starved=True)
                return False
            before = self.workers
            victim.kill()  # its pool's on_dead gives the room back (synchronously)
            if self.workers == before:  # nothing came back (it was already gone): do not spin
                self._wait(pool, starved=True)
                return False
        self.workers += 1
        self.memory_mb += pool.spec.memory_mb
        self.inits += 1
        self.peak_workers = max(self.peak_workers, self.workers)
        self.peak_inits = max(self.peak_inits, self.inits)
        self._starved.discard(pool.name)
        return True

    def init_done(self) -> None:
        self.inits -= 1
        self._schedule_wake()

    def give_back(self, memory_mb: int) -> None:
        self.workers -= 1
        self.memory_mb -= memory_mb
        self._schedule_wake()

    def should_yield(self, pool: FunctionPool) -> bool:
        """True when another pool waits for room and `pool` holds more than an equal share of the workers."""
        others = self._starved - {pool.name}
        if not others:
            return False
        share = max(1, self._capacity(pool.spec.memory_mb) // (len(others) + 1))
        return pool.worker_count > max(share, pool.provisioned)

    def init_pending(self, pool: FunctionPool) -> bool:
        """`pool` waits for an instance init slot (not for room): its init will come."""
        return pool in self._waiting and pool.name not in self._starved

    def worker_idle(self) -> None:
        """A worker went idle: a pool waiting for room may now stop it (see `_victim`)."""
        self._schedule_wake()

    def _capacity(self, memory_mb: int) -> int:
        """How many workers of this size the instance holds at most."""
        lim = self.limits
        cap = min(lim.max_workers, lim.max_memory_mb // max(1, memory_mb))
        if lim.max_connections > 0 and lim.connections_per_worker > 0:
            cap = min(cap, lim.max_connections // lim.connections_per_worker)
        return cap

    def _victim(self, pool: FunctionPool) -> Worker | None:
        candidates = [w for p in self.pools if p is not pool and p.worker_count > p.provisioned
                      for w in p.idle_workers() if w.state == "idle"]
        return min(candidates, key=lambda w: w.last_used, default=None)

    def _wait(self, pool: FunctionPool, *, starved: bool) -> None:
        if pool not in self._waiting:
            self._waiting.append(pool)
        if starved:
            self._starved.add(pool.name)

    def _schedule_wake(self) -> None:
        # Deferred: room is usually given back from inside a pool's own bookkeeping (a worker's on_dead).
        if self._waiting and not self._wake_scheduled:
            self._wake_scheduled = True
            asyncio.get_running_loop().call_soon(self._wake)

    def _wake(self) -> None:
        self._wake_scheduled = False
        waiting, self._waiting = list(self._waiting), deque()
        self._starved.clear()
        for pool in waiting:  # oldest first; a pool still blocked queues itself again
            pool.scale()
