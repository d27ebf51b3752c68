"""Two real runner instances of tests/fixtures/e2e_collection (infra.stack), for the operations tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack import Stack

ROOT = Path(__file__).resolve().parents[3]
COLLECTION = ROOT / "tests" / "fixtures" / "e2e_collection"


@pytest.fixture
def two_runners(services: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    env = {**os.environ, **services, "RUNNER_EVENTS_PREFIX": f"e2e-ops:{uuid.uuid4().hex[:10]}",
           "E2E_TICK_FILE": str(tmp_path / "ticks.jsonl"),
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    running = Stack(manifest=COLLECTION / "chalice.json", env=env, state=tmp_path, runner_ports=(0, 0), nginx_port=0,
                    build_dir=tmp_path / "build", runner_args=("--drain-timeout", "2"))
    running.start(timeout=90)
    try:
        yield running
    finally:
        running.stop()

