"""`make run` (python -m infra.run): everything comes up behind nginx, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests import web

ROOT = Path(__file__).resolve().parents[3]
COLLECTION = ROOT / "tests" / "fixtures" / "e2e_collection"
E2E_BUILD = ROOT / ".local" / "test-build" / "e2e-collection"  # as tests/e2e/runner/conftest.py: built once

pytestmark = pytest.mark.e2e


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_run_serves_through_nginx_and_stops_everything_on_ctrl_c(services: dict[str, str],
                                                                       tmp_path: Path) -> None:
    env = {**os.environ, **services, "E2E_TICK_FILE": str(tmp_path / "ticks"),
           "RUNNER_EVENTS_PREFIX": f"make-run:{os.getpid()}"}
    proc = subprocess.Popen([sys.executable, "-m", "infra.run", "--manifest", str(COLLECTION / "chalice.json"),
                             "--ports", "0", "0", "--nginx-port", "0", "--state", str(tmp_path / "state"),
                             "--build-dir", str(E2E_BUILD)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    lines: list[str] = []
    arriving: queue.Queue[str] = queue.Queue()  # read by a thread: a line that never comes fails, not hangs

    def read_all(out: IO[str]) -> None:
        for line in out:
            arriving.put(line)

    reader = threading.Thread(target=read_all, args=(proc.stdout,), daemon=True)
    reader.start()

    def read_until(start: str, deadline: float) -> None:
        while not (lines and lines[-1].startswith(start)):
            try:
                lines.append(arriving.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no line starting {start!r}:\n" + "".join(lines)) from None

    try:
        deadline = time.monotonic() + 90
        read_until("Ctrl-C stops everything", deadline)
        text = "".join(lines)
        nginx_url = re.search(r"nginx\s+(http://127\.0\.0\.1:\d+)", text)
        runner_urls = re.findall(r"runner\s+(http://127\.0\.0\.1:\d+)", text)
        assert nginx_url and len(runner_urls) == 2, text
        assert web.get(f"{nginx_url.group(1)}/hello", timeout=10).status_code == 200
        for url in runner_urls:
            assert web.get(f"{url}/_runner/health", timeout=10).status_code == 200
        read_until("ready: ", deadline)  # said once every instance answers /_runner/ready with 200
        for url in runner_urls:
            assert web.get(f"{url}/_runner/ready", timeout=10).status_code == 200
        started = _descendants(proc.pid)
        assert len(started) >= 4  # two runners, their workers, nginx master and workers
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to the whole foreground group
        proc.wait(timeout=60)
        reader.join(10)
        rest = "".join(arriving.get() for _ in range(arriving.qsize()))
    assert proc.returncode == 0, "".join(lines) + rest
    assert "stopped." in rest
    deadline = time.monotonic() + 5  # orphaned grandchildren (nginx workers) exit just after their parents
    while [pid for pid in started if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in started if _alive(pid)] == []
    for url in runner_urls:
        with pytest.raises(httpx.ConnectError):
            web.get(f"{url}/_runner/health", timeout=2)
