"""Whether one more worker would serve a function's queue sooner than its busy workers will.

Lambda starts an execution environment for every concurrent request, because its hosts have room. One
host does not: a worker's init costs hundreds of milliseconds of CPU, so when a function's invocations
are short and the host is busy, starting workers for a queue that the busy ones clear in a few
milliseconds only takes CPU from them (measured by bench/webhook_bench.py: FAL deliveries at c32 spent
more CPU on inits than on deliveries). So a pool with as many busy workers as the host has cores starts
another init for its queue only when the queue's expected wait, `queued x mean duration / busy workers`,
is longer than its mean init (to the end of a worker's first invocation, which pays for its lazy imports and
connections). Below one busy worker per core, while either mean is still unknown, it
starts one as Lambda would: a queue that lasts is served by every core. Means are moving averages, so a
function that turns slow (waiting on a network call, say) scales up again within a few invocations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

WEIGHT = 0.2  # of the newest sample in each moving average


@dataclass
class Pace:
    duration: float | None = None  # seconds, mean invocation
    init: float | None = None  # seconds, mean init and first invocation
    cores: int = os.cpu_count() or 1

    def invoked(self, seconds: float, *, init: float | None = None) -> None:
        """An invocation took `seconds`; `init`: it was its worker's first, after an init of that long."""
        if init is None:
            self.duration = _moved(self.duration, seconds)
        else:  # a first invocation pays for lazy imports and connections: part of the worker's start
            self.init = _moved(self.init, init + seconds)

    def worth_an_init(self, waiting: int, busy: int) -> bool:
        """Would a new worker start serving the last of `waiting` callers before the busy workers do?"""
        if busy < self.cores or self.duration is None or self.init is None:
            return True
        return waiting * self.duration / busy > self.init


def _moved(mean: float | None, sample: float) -> float:
    return sample if mean is None else mean + WEIGHT * (sample - mean)
