"""A stack that knows its database's max_connections gives each runner instance its share to enforce."""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

import pytest

from infra.connections import RESERVED, SUPERUSER_RESERVED
from infra.stack import Stack
from tests import web
from tests.e2e.runner.conftest import COLLECTION, E2E_BUILD


def _limit(metrics: str) -> float | None:
    found = re.search(r'^runner_budget_used\{kind="limit",resource="connections"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else None


def test_each_instance_enforces_its_share_of_the_databases_connections(
        services: dict[str, str], tmp_path: Path) -> None:
    env = {**os.environ, **services, "RUNNER_EVENTS_PREFIX": f"e2e:{uuid.uuid4().hex[:10]}",
           "DB_POOL_MAX_SIZE": "3", "RUNNER_IDLE_TIMEOUT": "4"}  # the budget gauges refresh every second then
    stack = Stack(manifest=COLLECTION / "chalice.json", env=env, state=tmp_path, runner_ports=(0, 0),
                  nginx_port=0, build_dir=E2E_BUILD, db_max_connections=100)
    stack.start(timeout=90)
    try:
        share = (100 - RESERVED - SUPERUSER_RESERVED) // 2
        for runner in stack.runners:
            deadline = time.monotonic() + 20
            while _limit(web.get(f"{runner.url}/_runner/metrics").text) != share:
                assert time.monotonic() < deadline, f"{runner.url} never reported its connection limit"
                time.sleep(0.1)
    finally:
        stack.stop()


def test_a_database_too_small_for_the_instances_stops_the_stack_with_why(
        services: dict[str, str], tmp_path: Path) -> None:
    from infra.stack import StackError

    stack = Stack(manifest=COLLECTION / "chalice.json", env={**os.environ, **services, "DB_POOL_MAX_SIZE": "8"},
                  state=tmp_path, runner_ports=(0, 0), nginx_port=0, build_dir=E2E_BUILD, db_max_connections=30)
    with pytest.raises(StackError, match="fewer than one worker's pool"):
        stack.start(timeout=90, build=False)
    assert stack.runners == []
