"""Waiting on futures without the task and set machinery of `asyncio.wait` / `wait_for(shield(...))`.

The invocation path waits on a future under a time limit several times per request; on the runner's hot
path those helpers' own bookkeeping (a task, sets, a second future per wait) was a measurable share of the
front's CPU. `first_done` is one future, one timer and one callback per awaited future. `cancel_and_wait`
stops a background loop even when a library loses a cancellation (see its doc).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


async def first_done(futures: Sequence[asyncio.Future[Any]], timeout: float) -> None:
    """Return once any of `futures` is done or `timeout` seconds have passed; cancels none of them."""
    if any(f.done() for f in futures):
        return
    loop = asyncio.get_running_loop()
    waker: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waker.done():
            waker.set_result(None)

    timer = loop.call_later(max(0.0, timeout), wake)
    for f in futures:
        f.add_done_callback(wake)
    try:
        await waker
    finally:
        timer.cancel()
        for f in futures:
            f.remove_done_callback(wake)


async def cancel_and_wait(task: asyncio.Task[Any], *, every: float = 0.1, limit: float = 5.0) -> bool:
    """Cancel `task` and wait for it to end, cancelling it again every `every` seconds; True once it ended.

    One cancellation can be lost inside a library (redis-py 8.0-8.2's asyncio client swallows some: the task
    then goes on with its loop); the next one lands at its next await. Unlike `suppress(CancelledError)`
    around `await task`, a cancellation of the caller itself is not swallowed here. False after `limit`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not task.done():
        left = deadline - loop.time()
        if left <= 0:
            return False
        task.cancel()
        await first_done((task,), min(every, left))
    if not task.cancelled():
        task.exception()  # retrieved: an error on the way out is the stopped loop's, not worth a warning
    return True
