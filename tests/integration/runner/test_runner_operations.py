"""Health, readiness, metrics, draining on SIGTERM, and --reload."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.integration.runner.runner_harness import COLLECTION, RunningServer


def test_health_ready_and_metrics(server: RunningServer) -> None:
    assert server.http.get("/_runner/health").json() == {"status": "ok"}
    ready = server.http.get("/_runner/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    server.http.get("/echo")
    server.http.get("/raise")
    text = server.http.get("/_runner/metrics").text
    for name in ("runner_invocations_total", "runner_errors_total", "runner_throttles_total",
                 "runner_timeouts_total", "runner_cold_starts_total", "runner_invocation_duration_seconds_bucket",
                 "runner_warm_workers", "runner_busy_workers"):
        assert name in text, name
    assert 'runner_invocations_total{function="echo",outcome="success"}' in text
    assert 'runner_errors_total{error_type="FixtureError",function="raiser"}' in text
    assert 'runner_warm_workers{function="echo"} 1.0' in text


def test_sigterm_drains_in_flight_requests(start_server: Any) -> None:
    server = start_server()
    result: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: result.update(r=server.http.get("/single", params={"sleep": "1.5"})))
    thread.start()
    server.wait_busy("single")
    server.proc.send_signal(signal.SIGTERM)
    thread.join(10)
    assert result["r"].status_code == 200
    assert server.proc.wait(10) == 0
    assert "draining: 1 requests in flight" in server.log()
    assert not server.worker_pids("single")


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link a build's file (copying the 76 MB tree cost 5 s of CPU). A rebuild renames a new tree into
    place and rewrites only its stamps in place, so those are copied."""
    try:
        if "/.stamps/" not in src:
            os.link(src, dst)
            return
    except OSError:  # another filesystem
        pass
    shutil.copy2(src, dst)


def test_reload_restarts_only_the_changed_function(start_server: Any, tmp_path: Path, runner_build: Path) -> None:
    collection = tmp_path / "collection"
    shutil.copytree(COLLECTION, collection, ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path / "build"
    shutil.copytree(runner_build, build, symlinks=True, copy_function=_link_or_copy)  # same stamps: nothing is rebuilt
    server = start_server(manifest=collection / "chalice.json", build=build, args=["--reload"])
    echo_pid = server.http.get("/echo").json()["pid"]
    single_pid = int(server.http.get("/single", params={"sleep": "0"}).text)
    result: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: result.update(r=server.http.get("/echo", params={"marker": "x"})))
    app = collection / "functions" / "single" / "app.py"
    app.write_text(app.read_text().replace("str(os.getpid())", "'v2:' + str(os.getpid())"))
    thread.start()
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        text = server.http.get("/single", params={"sleep": "0"}).text
        if text.startswith("v2:"):
            break
        time.sleep(0.2)
    thread.join(5)
    assert text.startswith("v2:") and int(text[3:]) != single_pid
    assert result["r"].status_code == 200
    assert server.http.get("/echo").json()["pid"] == echo_pid  # untouched function kept its warm worker
    assert "reloaded single" in server.log()


def test_sigterm_with_no_traffic_exits_cleanly(start_server: Any) -> None:
    server = start_server()
    server.http.get("/echo")
    pids = server.worker_pids("echo")
    assert pids
    assert server.stop() == 0
    assert not server.worker_pids("echo")


def test_workers_die_with_a_killed_runner(start_server: Any) -> None:
    server = start_server()
    server.http.get("/echo")
    pids = server.worker_pids("echo")
    assert pids
    server.proc.kill()
    server.proc.wait(5)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_unreachable_redis_keeps_http_up_but_not_ready(start_server: Any) -> None:
    from tests.integration.runner.runner_harness import free_port

    server = start_server(env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, wait="health")
    ready = server.http.get("/_runner/ready")
    assert ready.status_code == 503 and ready.json()["redis"] is False
    assert server.http.get("/echo").status_code == 200
    assert "event consumer not started" in server.log()
    assert server.stop() == 0


def test_a_stalled_front_still_queues_a_burst_of_connections(start_server: Any) -> None:
    """The kernel holds connections the front has not accepted yet (LISTEN_BACKLOG): with Python's default of
    128, a burst past it timed out connecting and nginx ejected a healthy instance. Stopped, the front
    accepts nothing, so every connection here waits in the backlog; resumed, it serves them."""
    import os
    import socket

    srv = start_server()
    os.kill(srv.proc.pid, signal.SIGSTOP)
    held: list[socket.socket] = []
    try:
        for _ in range(300):
            held.append(socket.create_connection(("127.0.0.1", srv.port), timeout=2))  # times out past the backlog
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)
    for sock in held[:3]:
        sock.sendall(b"GET /_runner/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
    for sock in held:
        sock.close()
    assert srv.http.get("/_runner/health").status_code == 200
