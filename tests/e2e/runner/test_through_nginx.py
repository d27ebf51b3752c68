"""End to end: boto3 and HTTP clients -> real nginx -> two real runner instances -> workers, Redis queue."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from infra.stack import Stack
from tests import web
from tests.e2e.event_queue import events_settled
from tests.e2e.runner.conftest import failed_cli

pytestmark = pytest.mark.e2e


def _lambda(runner_stack: Stack):  # type: ignore[no-untyped-def]
    return boto3.client("lambda", endpoint_url=runner_stack.url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}, read_timeout=30))


def _journal(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _settled(stack: Stack) -> bool:
    """The shared Event queue holds nothing queued, running or waiting to retry: no attempt can follow."""
    return events_settled(stack.env)


def _wait(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_http_through_nginx_reaches_both_instances(runner_stack: Stack) -> None:
    pids = set()
    for _ in range(20):
        r = web.get(f"{runner_stack.url}/hello", headers={"X-Forwarded-For": "198.51.100.7"}, timeout=10)
        assert r.status_code == 200
        pids.add(r.json()["runner_pid"])
    assert r.json()["source_ip"] == "127.0.0.1"  # the client's own X-Forwarded-For cannot spoof it
    assert pids == {runner.proc.pid for runner in runner_stack.runners if runner.proc}


def test_boto3_invoke_all_three_types_through_nginx(runner_stack: Stack, tmp_path: Path) -> None:
    client = _lambda(runner_stack)
    journal = tmp_path / "sync.jsonl"
    sync = client.invoke(FunctionName="jobs", Payload=json.dumps({"journal": str(journal)}))
    assert sync["StatusCode"] == 200 and "FunctionError" not in sync
    assert json.loads(sync["Payload"].read()) == {"attempts": 1}
    assert client.invoke(FunctionName="jobs", InvocationType="DryRun")["StatusCode"] == 204
    journal = tmp_path / "event.jsonl"
    event = client.invoke(FunctionName="jobs", InvocationType="Event", Payload=json.dumps({"journal": str(journal)}))
    assert event["StatusCode"] == 202
    _wait(lambda: any(e["phase"] == "done" for e in _journal(journal)))


def test_a_burst_of_events_runs_each_once_on_the_shared_group(runner_stack: Stack, tmp_path: Path) -> None:
    client = _lambda(runner_stack)
    journals = [tmp_path / f"burst-{i}.jsonl" for i in range(20)]
    for journal in journals:
        assert client.invoke(FunctionName="jobs", InvocationType="Event",
                             Payload=json.dumps({"journal": str(journal), "sleep": 0.1}))["StatusCode"] == 202
    _wait(lambda: all(any(e["phase"] == "done" for e in _journal(j)) for j in journals))
    _wait(lambda: _settled(runner_stack))  # every entry acknowledged: none can run again
    entries = [_journal(j) for j in journals]
    assert all(len(e) == 2 for e in entries)  # one start, one done: nothing ran twice
    pids = {e[0]["runner_pid"] for e in entries}
    assert pids <= {r.proc.pid for r in runner_stack.runners if r.proc}


def test_event_failing_twice_then_succeeding_runs_three_times(runner_stack: Stack, tmp_path: Path) -> None:
    journal = tmp_path / "flaky.jsonl"
    _lambda(runner_stack).invoke(FunctionName="jobs", InvocationType="Event",
                          Payload=json.dumps({"journal": str(journal), "fail_times": 2}))
    _wait(lambda: any(e["phase"] == "done" for e in _journal(journal)))
    _wait(lambda: _settled(runner_stack))  # acknowledged, no retry delayed: no fourth attempt can come
    entries = _journal(journal)
    starts = [e for e in entries if e["phase"] == "start"]
    assert len(starts) == 3 and len({e["request_id"] for e in starts}) == 1  # Lambda's retries keep the id
    assert entries[-1] == {"runner_pid": entries[-1]["runner_pid"], "phase": "done", "attempts": 3}
    listed = failed_cli(runner_stack, "list", "--json")
    assert listed.returncode == 0 and starts[0]["request_id"] not in listed.stdout
    metrics = "".join(web.get(f"{r.url}/_runner/metrics", timeout=10).text for r in runner_stack.runners)
    assert 'runner_async_event_attempts_total{function="jobs",outcome="retried"}' in metrics
    assert 'runner_async_event_attempts_total{function="jobs",outcome="succeeded"}' in metrics


def test_event_always_failing_is_parked_then_replayed_with_the_cli(runner_stack: Stack, tmp_path: Path) -> None:
    journal, ok = tmp_path / "doomed.jsonl", tmp_path / "fixed"
    _lambda(runner_stack).invoke(FunctionName="jobs", InvocationType="Event",
                          Payload=json.dumps({"journal": str(journal), "fail_times": -1, "ok_file": str(ok)}))
    _wait(lambda: len(_journal(journal)) == 3)
    request_id = _journal(journal)[0]["request_id"]

    def parked() -> dict | None:
        out = failed_cli(runner_stack, "list", "--json").stdout.splitlines()
        return next((r for r in map(json.loads, out) if r["request_id"] == request_id), None)

    _wait(lambda: parked() is not None, timeout=10)
    record = parked()
    assert record is not None
    assert record["function_name"] == "jobs" and record["attempts"] == 3
    assert "attempt 3 fails on purpose" in record["last_error"]
    assert len(_journal(journal)) == 3  # nothing more after parking

    ok.touch()  # the operator fixed the cause
    replay = failed_cli(runner_stack, "replay", record["failure_id"])
    assert replay.returncode == 0, replay.stderr
    _wait(lambda: any(e["phase"] == "done" for e in _journal(journal)))
    assert parked() is None


def test_schedule_fires_once_per_period_across_both_instances(runner_stack: Stack) -> None:
    ticks = Path(runner_stack.env["E2E_TICK_FILE"])
    _wait(lambda: len(_journal(ticks)) >= 1)
    time.sleep(1.5)  # both instances ticked many times meanwhile
    times = [t["time"] for t in _journal(ticks)]
    assert len(times) == len({t[:16] for t in times})  # at most one firing per minute-long period


def test_event_of_a_killed_instance_is_finished_by_the_other(runner_stack: Stack, tmp_path: Path) -> None:
    journal = tmp_path / "orphan.jsonl"
    _lambda(runner_stack).invoke(FunctionName="jobs", InvocationType="Event",
                          Payload=json.dumps({"journal": str(journal), "sleep": 1.5}))
    _wait(lambda: len(_journal(journal)) == 1)
    victim = next(r for r in runner_stack.runners if r.proc and r.proc.pid == _journal(journal)[0]["runner_pid"])
    assert victim.proc is not None
    os.kill(victim.proc.pid, signal.SIGKILL)  # mid-event, no drain, no ack
    victim.stop()
    survivor = next(r for r in runner_stack.runners if r is not victim)
    assert survivor.proc is not None
    pid = survivor.proc.pid
    # The other instance reclaims the event once it has been idle for RUNNER_EVENTS_CLAIM_IDLE and runs it
    # again (delivery is at least once: the killed instance's worker may finish its own copy as an orphan).
    _wait(lambda: any(e["phase"] == "done" and e["runner_pid"] == pid for e in _journal(journal)), timeout=20)
    starts = [e for e in _journal(journal) if e["phase"] == "start"]
    assert [e["runner_pid"] for e in starts] == [victim.proc.pid, pid]
    victim.start()  # back to two instances for the next test
    victim.wait_healthy(60)


def test_concurrent_requests_through_nginx(runner_stack: Stack) -> None:
    # One client for the callers, as a real one keeps its connections: web.get() builds a client, and its
    # TLS context, per call, which was a third of this worker's CPU in the suite (py-spy)
    with web.client(timeout=15) as http:
        def call(i: int) -> int:
            if i % 2:
                return http.post(f"{runner_stack.url}/webhook/fal/done", content=b"{}").status_code
            return http.get(f"{runner_stack.url}/hello").status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(call, range(200)))
    assert statuses == [200] * len(statuses)


def test_requests_succeed_while_one_instance_is_stopped(runner_stack: Stack) -> None:
    statuses: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        i = 0
        with web.client(timeout=15) as http:  # each caller keeps its connection to nginx
            while not stop.is_set() or i < 40:
                if i % 2:
                    r = http.post(f"{runner_stack.url}/webhook/telegram", content=b'{"update_id": 1}')
                else:
                    r = http.get(f"{runner_stack.url}/hello")
                statuses.append(r.status_code)
                if r.status_code != 200:
                    failures.append(f"{r.request.method} {r.url} {r.status_code} {r.text}")
                i += 1

    threads = [threading.Thread(target=client) for _ in range(4)]  # four callers at once
    for thread in threads:
        thread.start()
    _wait(lambda: len(statuses) >= 8)  # requests are flowing through both instances
    runner_stack.runners[0].stop()  # SIGTERM: drains and leaves while requests keep coming
    stop.set()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(statuses) >= 160
    survivor = runner_stack.runners[1].proc
    assert survivor is not None
    pids = {web.get(f"{runner_stack.url}/hello", timeout=10).json()["runner_pid"] for _ in range(6)}
    assert pids == {survivor.pid}
