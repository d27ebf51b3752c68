"""JSON log lines for the runner and for the functions' output, with a per-invocation tail.

Every line is one JSON object: {"time", "level", "logger", "function", "request_id", "message"}. A worker's
own output (its stdout and stderr) is logged with logger "function"; START/END/REPORT lines are the
runner's, in the function's stream, as on CloudWatch. The tail of each invocation (START..REPORT) is kept
while the invocation runs, for X-Amz-Log-Result and the `invoke` command.

Cost: an invocation writes at least three lines (START, END, REPORT), so the path is kept to microseconds.
`configure_logging` installs a `JsonLinesHandler`; `LogSink` finds it and formats its lines itself (the
timestamp string is made once a second, only the message goes through the JSON encoder), skipping the
`logging` machinery, and the handler's `LineBuffer` writes everything logged during one event-loop turn with
one `write` + `flush` (lines are never held past that turn; `logging.shutdown` at exit flushes the rest).
The HTTP front flushes before each answer, so a caller never sees an answer before its log lines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from json.encoder import encode_basestring
from typing import TextIO

LOGGER = "local_runner"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": getattr(record, "source", record.name),
            "function": getattr(record, "function", None),
            "request_id": getattr(record, "request_id", None),
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


class LineBuffer:
    """Lines written during one event-loop turn go out in one write; outside a loop, at once."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lines: list[str] = []
        self._scheduled = False

    def write(self, line: str) -> None:
        self._lines.append(line)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if self._lines:
            data = "\n".join(self._lines) + "\n"
            self._lines.clear()
            self.stream.write(data)
            self.stream.flush()


class JsonLinesHandler(logging.Handler):
    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.lines = LineBuffer(stream)
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.write(self.format(record))
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.lines.flush()


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Called by the CLI only (never at import): JSON lines on stderr."""
    handler = JsonLinesHandler(stream or sys.stderr)
    root = logging.getLogger(LOGGER)
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class _Clock:
    """`2024-01-02T03:04:05.678Z` with the seconds part formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def stamp(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1000):03d}Z"


class LogSink:
    """Routes worker output and runner lines to the logger; keeps the tail of invocations in flight."""

    def __init__(self, tail_bytes: int = 4096, logger: logging.Logger | None = None) -> None:
        self.tail_bytes = tail_bytes
        self.logger = logger or logging.getLogger(LOGGER + ".functions")
        self._tails: dict[str, list[str]] = {}
        self._clock = _Clock()
        self._fast: tuple[LineBuffer, int] | bool | None = False  # False: not looked up yet
        self._buffers: list[LineBuffer] = []

    def _fast_path(self) -> tuple[LineBuffer, int] | None:
        """The JsonLinesHandler this logger ends at, and the effective level; None: use `logging`."""
        if self._fast is False:
            self._fast = None
            logger: logging.Logger | None = self.logger
            while logger is not None:
                handlers = logger.handlers
                self._buffers.extend(h.lines for h in handlers if isinstance(h, JsonLinesHandler))
                if handlers:
                    if len(handlers) == 1 and self._buffers and not logger.filters:
                        self._fast = (self._buffers[0], self.logger.getEffectiveLevel())
                    break
                logger = logger.parent if logger.propagate else None
        return self._fast  # type: ignore[return-value]

    def flush(self) -> None:
        """Write what is buffered now (the HTTP front calls it before answering: the log is never behind)."""
        self._fast_path()
        for lines in self._buffers:
            lines.flush()

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
        fast = self._fast_path()
        if fast is None:
            self.logger.log(logging.getLevelName(level), message, extra={
                "function": function, "request_id": request_id, "source": "function" if stream else "runner",
                "fields": fields})
            return
        lines, threshold = fast
        if logging.getLevelName(level) < threshold:
            return
        stamp = self._clock.stamp(time.time())
        source = "function" if stream else "runner"
        if fields:
            out = {**fields, "time": stamp, "logger": source, "function": function}
            if request_id is not None:
                out["request_id"] = request_id
            out.setdefault("level", level)
            out.setdefault("message", "")
            lines.write(json.dumps(out, default=str))
            return
        rid = f', "request_id": {encode_basestring(request_id)}' if request_id is not None else ""
        lines.write(f'{{"time": "{stamp}", "level": "{level}", "logger": "{source}", '
                    f'"function": {encode_basestring(function)}{rid}, "message": {encode_basestring(message)}}}')


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
