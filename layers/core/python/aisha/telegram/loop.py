"""One asyncio event loop per worker process, for its whole life.

python-telegram-bot's httpx client binds to the loop it first ran on; a loop per invocation
closes it under the client ("Event loop is closed"). Sync handlers run coroutines through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class ProcessLoop:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        """End the loop (a worker's end; tests that start a new worker in the same process)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()
        self._loop = None
