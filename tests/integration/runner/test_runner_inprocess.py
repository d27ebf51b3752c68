"""The pure invoke path and the front's `handle`, in-process (no HTTP socket), on real workers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from local_runner.apigw import HttpRequest
from local_runner.config import RunnerConfig
from local_runner.errors import FunctionNotFound, RequestTooLarge, Throttled
from local_runner.http_front import Front
from local_runner.manifest import load_manifest
from local_runner.runner import Runner
from tests.integration.runner.runner_harness import COLLECTION


def with_runner(build: Path, body: Callable[[Runner], Awaitable[Any]], **config: Any) -> Any:
    async def main() -> Any:
        manifest = load_manifest(COLLECTION / "chalice.json", environ={})
        runner = Runner(manifest, RunnerConfig(manifest=COLLECTION / "chalice.json", build_dir=build, **config))
        await runner.start()
        try:
            return await asyncio.wait_for(body(runner), 60)
        finally:
            await runner.stop(drain_timeout=5)

    return asyncio.run(main())


def test_parallel_invocations_get_parallel_workers(runner_build: Path) -> None:
    async def body(runner: Runner) -> tuple[float, set[int]]:
        started = time.monotonic()
        results = await asyncio.gather(*(runner.invoke("victim", b'{"sleep": 0.6}') for _ in range(3)))
        return time.monotonic() - started, {json.loads(r.payload)["pid"] for r in results}

    elapsed, pids = with_runner(runner_build, body)
    assert len(pids) == 3 and elapsed < 1.7


def test_invoke_errors_and_result_fields(runner_build: Path) -> None:
    async def body(runner: Runner) -> None:
        first = await runner.invoke("echo", b'{"print": "x"}', request_id="my-request-id")
        assert first.request_id == "my-request-id" and first.cold_start and first.function_error is None
        assert "REPORT RequestId: my-request-id" in first.log_tail and "Init Duration" in first.log_tail
        second = await runner.invoke("echo", b"{}")
        assert not second.cold_start and "Init Duration" not in second.log_tail and second.duration_ms > 0
        for call, error in ((runner.invoke("ghost", b"{}"), FunctionNotFound),
                            (runner.invoke("echo", b"x" * (7 * 1024 * 1024)), RequestTooLarge)):
            try:
                await call
            except error:
                pass
            else:
                raise AssertionError(error)

    with_runner(runner_build, body)


def test_reserved_concurrency_zero_is_always_throttled(runner_build: Path, tmp_path: Path) -> None:
    async def body(runner: Runner) -> None:
        runner.pools["single"].limit = 0
        try:
            await runner.invoke("single", b"{}")
        except Throttled as exc:
            assert exc.retry_after >= 1
        else:
            raise AssertionError("not throttled")

    with_runner(runner_build, body)


def test_front_handle_without_a_socket(runner_build: Path) -> None:
    async def body(runner: Runner) -> None:
        front = Front(runner)
        resp = await front.handle(HttpRequest("GET", "/items/9", [], [("Host", "x")], b"", peer="127.0.0.1",
                                              raw_path="/items/9"))
        assert resp.status == 200 and json.loads(resp.body)["item_id"] == "9"
        missing = await front.handle(HttpRequest("GET", "/nope", [], [], b"", peer="127.0.0.1"))
        assert missing.status == 403

    with_runner(runner_build, body)


def test_http_callers_get_504_at_the_api_timeout(runner_build: Path) -> None:
    async def body(runner: Runner) -> None:
        front = Front(runner, api_timeout=0.3)
        resp = await front.handle(HttpRequest("GET", "/single", [("sleep", "1")], [], b"", peer="127.0.0.1"))
        assert resp.status == 504 and json.loads(resp.body) == {"message": "Endpoint request timed out"}

    with_runner(runner_build, body)


def test_init_over_its_limit_is_killed(runner_build: Path) -> None:
    async def body(runner: Runner) -> None:
        started = time.monotonic()
        result = await runner.invoke("slowinit", b"{}")
        assert time.monotonic() - started < 3
        assert result.function_error == "Unhandled" and result.error_type == "Sandbox.Timedout"
        assert b"Init phase timed out after 0.50 seconds" in result.payload  # the init limit, not the timeout
        assert not runner.pools["slowinit"].workers()

    with_runner(runner_build, body, init_timeout=0.5)


def test_handler_exiting_the_process_fails_that_invocation_only(runner_build: Path) -> None:
    async def body(runner: Runner) -> None:
        result = await runner.invoke("echo", b'{"exit": 3}')
        assert result.error_type == "Runtime.ExitError"
        assert b"Runtime exited with error: exit status 3" in result.payload
        again = await runner.invoke("echo", b"{}")
        assert again.function_error is None and again.cold_start

    with_runner(runner_build, body)


def test_a_cancelled_invocation_does_not_leave_its_worker_for_reuse(runner_build: Path) -> None:
    async def body(runner: Runner) -> None:
        first = json.loads((await runner.invoke("victim", b'{"sleep": 0}')).payload)["pid"]
        task = asyncio.ensure_future(runner.invoke("victim", b'{"sleep": 3}'))
        while runner.pools["victim"].busy == 0:  # until the invocation runs in its worker
            await asyncio.sleep(0.02)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        result = await runner.invoke("victim", b'{"sleep": 0}')
        assert result.function_error is None and json.loads(result.payload)["pid"] != first
        assert runner.pools["victim"].busy == 0

    with_runner(runner_build, body)
