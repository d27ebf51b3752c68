"""Two real runner instances of tests/fixtures/e2e_collection behind real nginx, on the session's Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from infra.stack import Stack

ROOT = Path(__file__).resolve().parents[3]
COLLECTION = ROOT / "tests" / "fixtures" / "e2e_collection"
# shared by xdist workers and kept between runs (the runner's build lock and stamps make that safe):
# the awslambdaric runtime is pip-installed once, not once per module and worker
E2E_BUILD = ROOT / ".local" / "test-build" / "e2e-collection"


@pytest.fixture(scope="module")
def runner_stack(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("e2e")
    prefix = f"e2e:{uuid.uuid4().hex[:10]}"
    env = {**os.environ, **services, "RUNNER_EVENTS_PREFIX": prefix, "RUNNER_EVENTS_BACKOFF": "0.3,0.6",
           "RUNNER_EVENTS_CLAIM_IDLE": "2", "E2E_TICK_FILE": str(state / "ticks.jsonl"),
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    running = Stack(manifest=COLLECTION / "chalice.json", env=env, state=state, runner_ports=(0, 0), nginx_port=0,
                    build_dir=E2E_BUILD, runner_args=("--drain-timeout", "10"))
    running.start(timeout=90)
    try:
        yield running
    finally:
        running.stop()
        client = redis.Redis.from_url(services["REDIS_URL"])
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))  # the shared server holds many other keys
        if keys:
            client.delete(*keys)
        client.close()


def failed_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m local_runner failed ...` as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "local_runner", "failed", *args], env=dict(stack.env), cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
