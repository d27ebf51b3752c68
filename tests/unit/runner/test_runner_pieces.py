"""Small pure pieces: REPORT lines, JSON log records, settings from the environment, ARN parsing."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import uuid
from pathlib import Path

from local_runner import ids
from local_runner.config import RunnerConfig
from local_runner.invoke_api import function_name
from local_runner.logs import JsonFormatter, LogSink, report_line
from local_runner.memory import TreeMemory
from local_runner.waits import cancel_and_wait, first_done
from local_runner.worker import _exit_text


def test_report_line_as_lambda_writes_it() -> None:
    line = report_line("rid", 12.345, 256, 40, 101.5)
    assert line == ("REPORT RequestId: rid\tDuration: 12.35 ms\tBilled Duration: 115 ms\tMemory Size: 256 MB\t"
                    "Max Memory Used: 40 MB\tInit Duration: 101.50 ms")
    warm_error = report_line("rid", 3.0, 128, 20, None, "Runtime.ExitError")
    assert "Init Duration" not in warm_error and warm_error.endswith("Status: error\tError Type: Runtime.ExitError")
    assert report_line("rid", 3.0, 128, 20, 500.0, "Sandbox.Timedout").endswith(
        "Init Duration: 500.00 ms\tStatus: timeout")


def test_log_sink_writes_json_lines_and_keeps_the_tail() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("local_runner.test-sink")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    sink = LogSink(tail_bytes=64, logger=logger)
    sink.capture("r1")
    sink.emit("fn", "r1", "hello\rworld", stream=True)
    sink.emit("fn", None, "not in a tail")
    sink.emit("fn", "r1", "x" * 100)
    sink.emit("fn", "r1", '{"level": "WARNING", "message": "structured", "user": 7}', stream=True)
    tail = sink.release("r1")
    assert len(tail) == 64 and tail.endswith("\"user\": 7}\n")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert records[0]["function"] == "fn" and records[0]["request_id"] == "r1" and records[0]["logger"] == "function"
    assert records[1]["logger"] == "runner" and "request_id" not in records[1]
    assert records[3]["message"] == "structured" and records[3]["user"] == 7 and records[3]["level"] == "WARNING"
    assert records[3]["request_id"] == "r1" and records[3]["function"] == "fn"
    assert sink.release("r1") == ""


def test_settings_from_environment_and_overrides(tmp_path: Path) -> None:
    config = RunnerConfig.from_env({"RUNNER_IDLE_TIMEOUT": "2.5", "RUNNER_MAX_WORKERS_PER_FUNCTION": "3",
                                    "REDIS_URL": "redis://h:1/0", "RUNNER_REGION": "eu-west-1"},
                                   throttle_wait=0.2, manifest=tmp_path / "chalice.json")
    assert (config.idle_timeout, config.max_workers_per_function, config.redis_url, config.region) == (
        2.5, 3, "redis://h:1/0", "eu-west-1")
    assert config.throttle_wait == 0.2 and config.build_root == tmp_path.resolve() / "build"


def test_function_names_arns_and_qualifiers() -> None:
    assert function_name("echo", None) == ("echo", None)
    assert function_name("echo:$LATEST", None) == ("echo", "$LATEST")
    assert function_name("123456789012:function:echo", "$LATEST") == ("echo", "$LATEST")
    assert function_name("arn:aws:lambda:us-east-1:123456789012:function:echo:prod", None) == ("echo", "prod")


def test_exit_text_and_rss_of_a_missing_process() -> None:
    assert _exit_text(-9) == "signal: killed" and _exit_text(1) == "exit status 1"
    assert TreeMemory(2**22 + 12345).sample() == 0
    tree = TreeMemory(__import__("os").getpid())
    try:
        assert tree.sample() > 1024
    finally:
        tree.close()


def test_scaling_settings_and_their_host_defaults() -> None:
    import os

    from local_runner.budget import Limits

    config = RunnerConfig.from_env({"RUNNER_MAX_INITS": "3", "RUNNER_MAX_QUEUE_PER_FUNCTION": "7",
                                    "RUNNER_MAX_WORKERS": "9", "RUNNER_MAX_MEMORY_MB": "2048",
                                    "RUNNER_CONNECTIONS_PER_WORKER": "4", "RUNNER_MAX_CONNECTIONS": "30"})
    assert (config.max_inits, config.max_queue_per_function, config.max_workers, config.max_memory_mb,
            config.connections_per_worker, config.max_connections) == (3, 7, 9, 2048, 4, 30)
    defaults = Limits.resolve()
    cores = os.cpu_count() or 1
    assert defaults.max_inits == cores and defaults.max_workers == 8 * cores
    assert 0 < defaults.max_memory_mb and defaults.max_connections == 0
    assert Limits.resolve(max_inits=5, max_workers=2).max_inits == 5


def test_first_done_returns_at_the_first_future_or_the_timeout_and_cancels_nothing() -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        slow, fast = loop.create_future(), loop.create_future()
        loop.call_soon(fast.set_result, 1)
        await asyncio.wait_for(first_done((slow, fast), 30.0), 5.0)  # woken by `fast`, long before 30 s
        assert fast.done() and not slow.done()
        started = loop.time()
        await first_done((slow,), 0.05)
        assert loop.time() - started >= 0.05 and not slow.cancelled()
        slow.set_result(2)  # no callback of the finished waits is left on it
        await first_done((slow,), 30.0)  # already done: returns at once

    asyncio.run(asyncio.wait_for(run(), 10.0))


def test_request_ids_are_version_4_uuids_and_differ() -> None:
    made = [ids.request_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made[:50]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert re.fullmatch(r"[0-9a-f]{24}", ids.hex_id(24)) and ids.hex_id(24) != ids.hex_id(24)


def test_cancel_and_wait_cancels_again_a_task_that_lost_one_cancellation() -> None:
    async def run() -> None:
        rounds = 0

        async def loop_that_loses_a_cancel() -> None:  # as redis-py 8's client does now and then
            nonlocal rounds
            lost = False
            while True:
                rounds += 1
                try:
                    await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    if lost:
                        raise
                    lost = True

        task = asyncio.get_running_loop().create_task(loop_that_loses_a_cancel())
        await asyncio.sleep(0.03)
        assert await cancel_and_wait(task, every=0.05) and task.cancelled()

        deaf_until = asyncio.Event()

        async def deaf() -> None:  # loses every cancellation; ends when told
            while not deaf_until.is_set():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(0.01)

        stubborn, other = asyncio.get_running_loop().create_task(deaf()), asyncio.get_running_loop().create_task(deaf())
        await asyncio.sleep(0.03)  # both in their loops (a task cancelled before its first step just ends)
        assert not await cancel_and_wait(stubborn, every=0.02, limit=0.2)  # gives up, says so

        async def waiter() -> None:  # the caller's own cancellation is not swallowed
            await cancel_and_wait(other, every=0.02, limit=30)

        outer = asyncio.get_running_loop().create_task(waiter())
        await asyncio.sleep(0.05)
        outer.cancel()
        done, _ = await asyncio.wait({outer}, timeout=5)
        assert outer in done and outer.cancelled()
        deaf_until.set()
        await asyncio.gather(stubborn, other)

    asyncio.run(asyncio.wait_for(run(), 10.0))
