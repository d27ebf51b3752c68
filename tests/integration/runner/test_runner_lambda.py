"""Lambda semantics on real worker processes: reuse, timeout, memory, concurrency, crashes."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from infra.devservices.procs import pid_alive
from tests.integration.runner.runner_harness import RunningServer


def invoke(server: RunningServer, name: str, event: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    resp = server.lambda_client().invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return resp.get("FunctionError"), json.loads(resp["Payload"].read())


def wait_gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_warm_worker_is_reused(server: RunningServer) -> None:
    first = server.http.get("/echo").json()["pid"]
    second = server.http.get("/echo").json()["pid"]
    assert first == second


def test_timeout_kills_and_replaces_the_worker(server: RunningServer) -> None:
    error, body = invoke(server, "sleeper", {"sleep": 0})
    assert error is None
    old = body["pid"]
    started = time.monotonic()
    error, body = invoke(server, "sleeper", {"sleep": 5})
    assert time.monotonic() - started < 3
    assert error == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert wait_gone(old)
    error, body = invoke(server, "sleeper", {"sleep": 0})
    assert error is None and body["pid"] != old
    # the function's own timeout (1 s) comes before API Gateway's 29 s: a function error, so 502
    resp = server.http.get("/sleep", params={"sleep": "3"})
    assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}


def test_memory_limit_kills_the_worker(server: RunningServer) -> None:
    error, body = invoke(server, "hog", {"mb": 400})
    assert error == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory"
    assert "signal: killed" in body["errorMessage"]
    assert "Error Type: Runtime.OutOfMemory" in server.log()
    error, body = invoke(server, "hog", {"mb": 10})
    assert error is None and body == {"allocated_mb": 10}


def test_reserved_concurrency_throttles_with_retry_after(server: RunningServer) -> None:
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(server.http.get, "/single", params={"sleep": "1.2"})
        server.wait_busy("single")
        second = pool.submit(server.http.get, "/single", params={"sleep": "0"})
        statuses = sorted([first.result().status_code, second.result().status_code])
    assert statuses == [200, 429]
    throttled = second.result()
    assert throttled.json() == {"message": "Too Many Requests"} and int(throttled.headers["Retry-After"]) >= 1
    try:
        server.lambda_client().invoke(FunctionName="single", Payload=b"{}")
    except Exception as exc:  # pragma: no cover - the slot is free again: this must not raise
        raise AssertionError(exc) from exc


def test_excess_request_waits_a_bounded_time_for_the_slot(server: RunningServer) -> None:
    assert server.http.get("/single", params={"sleep": "0"}).status_code == 200  # warm: no init in the wait
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(server.http.get, "/single", params={"sleep": "0.3"})
        server.wait_busy("single")  # the second must wait for the slot, not find it free
        second = pool.submit(server.http.get, "/single", params={"sleep": "0"})
        assert first.result().status_code == 200 and second.result().status_code == 200


def test_kill_9_fails_only_that_invocation(server: RunningServer) -> None:
    warm = server.http.get("/victim", params={"sleep": "0"})
    assert warm.status_code == 200
    result: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: result.update(r=server.http.get("/victim", params={"sleep": "5"})))
    thread.start()
    server.wait_busy("victim")
    pids = server.worker_pids("victim")
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    thread.join(10)
    resp = result["r"]
    assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}
    assert "Runtime.ExitError: RequestId: " in server.log() and "signal: killed" in server.log()
    again = server.http.get("/victim", params={"sleep": "0"})
    assert again.status_code == 200 and int(again.text) != pids[0]
    assert server.http.get("/echo").status_code == 200  # other functions unaffected


def test_cold_start_after_idle_time(start_server: Any) -> None:
    server = start_server(env={"RUNNER_IDLE_TIMEOUT": "0.5"})
    first = server.http.get("/echo").json()["pid"]
    assert wait_gone(first)  # the idle worker retired after RUNNER_IDLE_TIMEOUT
    second = server.http.get("/echo").json()["pid"]
    assert first != second
    reports = [r["message"] for r in server.log_records() if r["message"].startswith("REPORT")]
    assert sum("Init Duration:" in m for m in reports) == 2


def test_provisioned_workers_exist_before_the_first_request_and_come_back_after_kill_9(start_server: Any) -> None:
    server = start_server(stage="scaling", wait="health")
    first_ready = server.http.get("/_runner/ready")  # coldburst's provisioned init takes a second
    assert first_ready.status_code == 503 and first_ready.json()["provisioned"] is False
    deadline = time.monotonic() + 30
    while server.http.get("/_runner/ready").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pids = server.worker_pids("victim")
    assert len(pids) == 2 and len(server.worker_pids("coldburst")) == 1  # before any request
    resp = server.http.get("/victim", params={"sleep": "0"})
    assert resp.status_code == 200 and int(resp.text) in pids
    os.kill(pids[0], signal.SIGKILL)
    assert wait_gone(pids[0])
    deadline = time.monotonic() + 30
    while len(server.worker_pids("victim")) != 2:
        assert time.monotonic() < deadline, "the provisioned worker was not replaced"
        time.sleep(0.05)
    assert pids[0] not in server.worker_pids("victim")
    reports = [r["message"] for r in server.log_records() if r["message"].startswith("REPORT")]
    assert reports and not any("Init Duration" in m for m in reports)  # provisioned: no cold start


def test_a_child_process_past_the_limit_ends_the_invocation_out_of_memory(server: RunningServer) -> None:
    """The whole process group counts: the handler is small, its child holds 300 MB of a 128 MB function."""
    started = time.monotonic()
    error, body = invoke(server, "childhog", {"mb": 300})
    assert error == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory", body
    assert time.monotonic() - started < 15  # killed, not run to the child's 30 s or the 20 s timeout
    report = [r["message"] for r in server.log_records()
              if r.get("function") == "childhog" and r["message"].startswith("REPORT")][-1]
    assert "Error Type: Runtime.OutOfMemory" in report
    assert int(report.split("Max Memory Used: ")[1].split(" MB")[0]) >= 128  # the sample past the limit
    error, body = invoke(server, "childhog", {"mb": 1, "hold": 0})  # a fresh worker serves the next one
    assert error is None and body == {"child_exit": 0}


def test_workers_run_nicer_than_the_runner(server: RunningServer, start_server: Any) -> None:
    """On a saturated host function code waits for a core, not the front every request crosses."""
    for running, nicer in ((server, 5), (start_server(env={"RUNNER_WORKER_NICE": "7"}), 7)):  # default, then set
        resp = running.http.get("/victim", params={"sleep": "0"})
        assert resp.status_code == 200
        worker = int(resp.text)
        assert os.getpriority(os.PRIO_PROCESS, worker) == os.getpriority(os.PRIO_PROCESS, running.proc.pid) + nicer
