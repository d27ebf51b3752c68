"""Waiting on futures without the task and set machinery of `asyncio.wait` / `wait_for(shield(...))`.

The invocation path waits on a future under a time limit several times per request; on the runner's hot
path those helpers' own bookkeeping (a task, sets, a second future per wait) was a measurable share of the
front's CPU. `first_done` is one future, one timer and one callback per awaited future.
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
