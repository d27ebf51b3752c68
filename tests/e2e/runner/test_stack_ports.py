"""A stack's runner whose port was taken between finding it free and binding it starts on another."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from infra import stack as stack_module
from infra.stack import Stack

ROOT = Path(__file__).resolve().parents[3]
COLLECTION = ROOT / "tests" / "fixtures" / "e2e_collection"
E2E_BUILD = ROOT / ".local" / "test-build" / "e2e-collection"  # the one tests/e2e/runner/conftest.py shares


def test_a_runner_whose_port_was_taken_is_started_on_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("RUNNER_")}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        real_pick = stack_module.pick_port
        picks = iter([busy])  # the first pick is "free" when looked at, and taken by the time the runner binds

        def pick(preferred: int, used: set[int]) -> int:
            return next(picks, None) or real_pick(preferred, used)

        monkeypatch.setattr(stack_module, "pick_port", pick)
        running = Stack(manifest=COLLECTION / "chalice.json", env=env, state=tmp_path, runner_ports=(0,),
                        nginx_port=0, build_dir=E2E_BUILD)
        running.start(timeout=90)
        try:
            runner = running.runners[0]
            assert runner.port != busy and runner.healthy()
            assert "Address already in use" in runner.log.read_text()
        finally:
            running.stop()
