"""The process-tree memory sample: a child's memory counts, a child that exits stops counting."""

from __future__ import annotations

import subprocess
import sys
import time

from local_runner.memory import TreeMemory

HOLD = "import sys, time; x = b'1' * ({mb} << 20); sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(30)"
PARENT = ("import subprocess, sys; c = subprocess.Popen([sys.executable, '-c', sys.argv[1]]); "
          "sys.stdin.read(); c.kill(); c.wait()")


def test_the_tree_counts_a_grandchild_and_forgets_it_when_it_exits() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, HOLD.format(mb=120)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    tree = TreeMemory(parent.pid)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"ready\n"  # the child holds 120 MB
        held = tree.sample()
        assert held > 120 * 1024, held
        assert parent.stdin is not None
        parent.stdin.close()  # the parent kills its child
        deadline = time.monotonic() + 20
        while tree.sample() > 100 * 1024 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tree.sample() < 100 * 1024
    finally:
        parent.kill()
        parent.wait()
        tree.close()
    assert tree.sample() == 0
