"""A scripted invoker for the queue logic tests (the real one is exercised in tests/e2e)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from local_runner.invoke import InvocationResult


class ScriptedInvoker:
    """Fails the first `fail_times` calls per request id (or always when -1), then succeeds."""

    def __init__(self, fail_times: int = 0, hold: float = 0.0, holds: dict[str, float] | None = None) -> None:
        self.fail_times = fail_times
        self.hold = hold
        self.holds = holds or {}  # per function name, instead of `hold`
        self.calls: list[tuple[str, bytes, str | None]] = []
        self.called_at: list[float] = []  # time.monotonic() of each call
        self.started = asyncio.Event()
        self.on_call: Callable[[], None] | None = None

    async def invoke(self, function_name: str, payload: bytes, *, request_id: str | None = None) -> InvocationResult:
        self.calls.append((function_name, payload, request_id))
        self.called_at.append(time.monotonic())
        self.started.set()
        hold = self.holds.get(function_name, self.hold)
        if hold:  # the function's own run time, simulated
            await asyncio.sleep(hold)
        failures = sum(1 for _f, _p, rid in self.calls if rid == request_id)
        if self.fail_times < 0 or failures <= self.fail_times:
            body = json.dumps({"errorType": "RuntimeError", "errorMessage": f"boom {failures}"}).encode()
            return InvocationResult(body, "Unhandled", request_id or "", 1.0)
        return InvocationResult(b'"ok"', None, request_id or "", 1.0)

    def count(self, request_id: str) -> int:
        return sum(1 for _f, _p, rid in self.calls if rid == request_id)


async def wait_for(check: Callable[[], object], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def eventually(check: Callable[[], Awaitable[object]], timeout: float = 10.0, what: str = "condition") -> None:
    """wait_for with a check that awaits (a Redis read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met in time")
        await asyncio.sleep(0.02)
