"""The invoke contract shared by the HTTP front, the Invoke API, the CLI and the async event consumer.

`Invoker.invoke` has synchronous RequestResponse semantics: it runs the function in a worker and waits.
 - a handler error gives `function_error="Unhandled"` and Lambda's error shape as payload;
 - a timeout gives `function_error="Unhandled"` and payload
   `{"errorMessage": "<ts> <request id> Task timed out after N.00 seconds", "errorType": "Sandbox.Timedout"}`;
 - a memory breach gives `{"errorType": "Runtime.OutOfMemory", ...}`;
 - an unknown function raises `local_runner.errors.FunctionNotFound`;
 - reserved concurrency exhausted after the bounded wait raises `local_runner.errors.Throttled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

UNHANDLED = "Unhandled"


@dataclass
class InvocationResult:
    payload: bytes
    function_error: str | None  # None or "Unhandled"
    request_id: str
    duration_ms: float
    log_tail: str = ""
    # Extra detail for the runner's own use (HTTP status mapping, metrics); not part of Lambda's answer.
    error_type: str | None = None
    cold_start: bool = False


class Invoker(Protocol):
    async def invoke(
        self, function_name: str, payload: bytes, *, request_id: str | None = None
    ) -> InvocationResult: ...
