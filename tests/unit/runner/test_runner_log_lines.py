"""The fast log path: LogSink's own lines through configure_logging's handler, one write per loop turn."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from local_runner.logs import LOGGER, LogSink, configure_logging


class CountingStream(io.StringIO):
    writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)


@pytest.fixture
def stream() -> Iterator[CountingStream]:
    root = logging.getLogger(LOGGER)
    saved = (root.handlers[:], root.level, root.propagate)
    out = CountingStream()
    configure_logging("INFO", out)
    yield out
    root.handlers[:], root.level, root.propagate = saved


def test_lines_of_one_loop_turn_are_one_write_and_valid_json(stream: CountingStream) -> None:
    sink = LogSink()

    async def invocation() -> int:
        sink.capture("r1")
        sink.emit("fn", "r1", "START RequestId: r1 Version: $LATEST")
        sink.emit("fn", "r1", 'quote " and \\ and \u00e9 and \x01', stream=True)
        sink.emit("fn", "r1", '{"level": "WARNING", "message": "structured", "user": 7, "time": "theirs"}',
                  stream=True)
        logging.getLogger(LOGGER + ".server").warning("runner line %d", 1)
        sink.emit("fn", None, "no request", level="ERROR")
        sink.emit("fn", "r1", "debug is below INFO", level="DEBUG")
        written = stream.writes
        await asyncio.sleep(0)  # the turn ends: the buffer is written
        assert sink.release("r1").startswith("START RequestId: r1")
        return written

    assert asyncio.run(invocation()) == 0
    assert stream.writes == 1
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in records] == [
        "START RequestId: r1 Version: $LATEST", 'quote " and \\ and \u00e9 and \x01', "structured", "runner line 1",
        "no request"]
    start, raw, structured, runner, error = records
    assert start["logger"] == "runner" and start["function"] == "fn" and start["request_id"] == "r1"
    assert start["time"].endswith("Z") and start["level"] == "INFO"
    assert raw["logger"] == "function"
    assert structured["user"] == 7 and structured["level"] == "WARNING" and structured["time"] != "theirs"
    assert runner["logger"] == "local_runner.server" and runner["level"] == "WARNING"
    assert error["level"] == "ERROR" and "request_id" not in error


def test_outside_a_loop_lines_are_written_at_once(stream: CountingStream) -> None:
    LogSink().emit("fn", "r", "hello")
    assert json.loads(stream.getvalue())["message"] == "hello"


def test_flush_writes_what_is_buffered(stream: CountingStream) -> None:
    sink = LogSink()

    async def answer() -> str:
        sink.emit("fn", "r", "REPORT RequestId: r")
        sink.flush()  # what the HTTP front does before answering
        return stream.getvalue()

    assert "REPORT RequestId: r" in asyncio.run(answer())
