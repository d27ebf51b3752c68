"""Process helpers of the local services."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from infra.devservices.procs import pid_alive


def test_a_process_that_exited_is_not_alive_before_its_parent_reaps_it() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert pid_alive(child.pid)
        assert child.stdin is not None
        child.stdin.close()  # it exits; nobody waits for it yet, so it stays a zombie
        deadline = time.monotonic() + 10
        while pid_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not pid_alive(child.pid)
        assert Path(f"/proc/{child.pid}").exists()  # still there as a zombie: what the old check saw as alive
    finally:
        child.wait(10)
    assert not pid_alive(child.pid)
