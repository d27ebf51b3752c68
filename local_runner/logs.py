"""JSON log lines for the runner and for the functions' output, with a per-invocation tail.

Every line is one JSON object: {"time", "level", "logger", "function", "requestId", "message"}. A worker's
own output (its stdout and stderr) is logged with logger "function"; START/END/REPORT lines are the
runner's, in the function's stream, as on CloudWatch. The tail of each invocation (START..REPORT) is kept
while the invocation runs, for X-Amz-Log-Result and the `invoke` command.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TextIO

LOGGER = "local_runner"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": getattr(record, "source", record.name),
            "function": getattr(record, "function", None),
            "requestId": getattr(record, "request_id", None),
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        fields = getattr(record, "fields", None)
        if fields:  # a function that logs JSON lines itself: keep its fields, not an escaped string
            out = {**fields, **{k: v for k, v in out.items() if v is not None and k not in ("message", "level")}}
            out.setdefault("level", record.levelname)
            out.setdefault("message", "")
        return json.dumps({k: v for k, v in out.items() if v is not None}, default=str)


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Called by the CLI only (never at import): JSON lines on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger(LOGGER)
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class LogSink:
    """Routes worker output and runner lines to the logger; keeps the tail of invocations in flight."""

    def __init__(self, tail_bytes: int = 4096, logger: logging.Logger | None = None) -> None:
        self.tail_bytes = tail_bytes
        self.logger = logger or logging.getLogger(LOGGER + ".functions")
        self._tails: dict[str, list[str]] = {}

    def capture(self, request_id: str) -> None:
        self._tails[request_id] = []

    def release(self, request_id: str) -> str:
        lines = self._tails.pop(request_id, [])
        text = "".join(line + "\n" for line in lines)
        return text[-self.tail_bytes:] if len(text) > self.tail_bytes else text

    def emit(self, function: str, request_id: str | None, message: str, *, stream: bool = False,
             level: str = "INFO") -> None:
        if request_id is not None and request_id in self._tails:
            tail = self._tails[request_id]
            tail.append(message.replace("\r", "\n"))
            if len(tail) > 200:
                del tail[:100]
        fields = _json_object(message) if stream else None
        self.logger.log(logging.getLevelName(level), message, extra={
            "function": function, "request_id": request_id, "source": "function" if stream else "runner",
            "fields": fields})


def _json_object(line: str) -> dict[str, object] | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def report_line(request_id: str, duration_ms: float, memory_mb: int, max_used_mb: int,
                init_ms: float | None, error_type: str | None = None) -> str:
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(-(-duration_ms // 1)) + (int(-(-init_ms // 1)) if init_ms else 0)} ms\t"
            f"Memory Size: {memory_mb} MB\tMax Memory Used: {max_used_mb} MB")
    if init_ms is not None:
        line += f"\tInit Duration: {init_ms:.2f} ms"
    if error_type == "Sandbox.Timedout":  # Lambda words a timeout (of the init or the invoke) this way
        line += "\tStatus: timeout"
    elif error_type is not None:
        line += f"\tStatus: error\tError Type: {error_type}"
    return line
