"""An asyncio loop on a daemon thread of its own: how the stand-ins run inside pytest or `make run`.

`start()` returns once the server listens (or raises what stopped it); `stop()` runs its shutdown on
the same loop and joins the thread; `call()` runs a coroutine there from any other thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, startup: Callable[[], Awaitable[None]], shutdown: Callable[[], Awaitable[None]],
              timeout: float = 30.0) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(startup())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            try:
                loop.run_until_complete(shutdown())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

        self.loop = loop
        self._thread = threading.Thread(target=main, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError(f"{self.name} did not start in time")
        if failure:
            self._thread.join()
            self.loop = self._thread = None
            raise failure[0]

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is None or self.loop is None:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        self.loop = self._thread = None

    def call(self, work: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
        """Run `work()` on the loop from another thread and return its result."""
        if self.loop is None:
            raise RuntimeError(f"{self.name} is not running on its own thread")

        async def run() -> T:
            return await work()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)
