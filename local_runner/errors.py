"""The runner's error hierarchy.

RunnerError
  ManifestError          -- chalice.json is wrong; names the function and the key
  ConfigError            -- a RUNNER_* setting does not parse; names the variable
  BuildError             -- assembling a function or layer failed (pip, missing folder)
  InvokeError            -- an invocation could not be delivered (client errors carry HTTP status + code)
    FunctionNotFound     -- 404 ResourceNotFoundException
    Throttled            -- 429 TooManyRequestsException, carries retry_after seconds
    RequestTooLarge      -- 413 RequestEntityTooLargeException
"""

from __future__ import annotations


class RunnerError(Exception):
    """Root of every error raised by local_runner."""


class ManifestError(RunnerError):
    """The manifest is invalid. `function` and `key` name the faulty place when known."""

    def __init__(self, message: str, *, function: str | None = None, key: str | None = None) -> None:
        where = []
        if function is not None:
            where.append(f"function {function!r}")
        if key is not None:
            where.append(f"key {key!r}")
        prefix = f"chalice.json: {', '.join(where)}: " if where else "chalice.json: "
        super().__init__(prefix + message)
        self.function = function
        self.key = key


class ConfigError(RunnerError):
    """A setting of the runner (a RUNNER_* variable) is invalid; `variable` names it."""

    def __init__(self, message: str, *, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class BuildError(RunnerError):
    """Building a function or a layer failed."""


class InvokeError(RunnerError):
    """An invocation was refused before reaching a handler."""

    status: int = 500
    code: str = "ServiceException"


class FunctionNotFound(InvokeError):
    status = 404
    code = "ResourceNotFoundException"

    def __init__(self, function_name: str) -> None:
        super().__init__(f"Function not found: {function_name}")
        self.function_name = function_name


class Throttled(InvokeError):
    status = 429
    code = "TooManyRequestsException"

    def __init__(self, function_name: str, retry_after: int = 1) -> None:
        super().__init__(f"Rate Exceeded. Reserved concurrency of {function_name} reached")
        self.function_name = function_name
        self.retry_after = retry_after


class RequestTooLarge(InvokeError):
    status = 413
    code = "RequestEntityTooLargeException"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"Request must be smaller than {limit} bytes for the invoke operation (got {size})")
        self.size = size
        self.limit = limit
