"""The health function's handler, called as Lambda would, against the real services and a dead one."""

from __future__ import annotations

import importlib.util
import json
import socket
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aisha.config import load_settings
from aisha.health import check

ROOT = Path(__file__).resolve().parents[3]


def _load_health_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("health_app", ROOT / "functions/health/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens there


def _env(services: dict[str, str], database_url: str) -> dict[str, str]:
    return {**services, "DATABASE_URL": database_url}


def test_healthy_when_everything_answers(services: dict[str, str], database_url: str) -> None:
    healthy, report = check(load_settings(_env(services, database_url)), timeout=2)
    assert healthy and report["status"] == "healthy"
    assert set(report["components"]) == {"postgres", "redis", "storage"}
    assert all(c["status"] == "ok" for c in report["components"].values())
    assert report["version"]


def test_unhealthy_names_what_failed(services: dict[str, str], database_url: str) -> None:
    env = {**_env(services, database_url), "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
    healthy, report = check(load_settings(env), timeout=1)
    assert not healthy and report["failed"] == ["redis"]
    assert report["components"]["postgres"]["status"] == "ok"
    assert report["components"]["redis"]["status"] == "down" and report["components"]["redis"]["error"]


def test_the_handler_answers_200_or_503(services: dict[str, str], database_url: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _load_health_app()
    for key, value in _env(services, database_url).items():
        monkeypatch.setenv(key, value)
    ok: dict[str, Any] = app.handler({"httpMethod": "GET", "path": "/health"}, None)
    assert ok["statusCode"] == 200 and json.loads(ok["body"])["status"] == "healthy"

    app = _load_health_app()  # a fresh worker: settings are read once per process
    monkeypatch.setenv("DATABASE_URL", f"postgresql://aisha@127.0.0.1:{_closed_port()}/aisha")
    down = app.handler({"httpMethod": "GET", "path": "/health"}, None)
    assert down["statusCode"] == 503
    assert json.loads(down["body"])["failed"] == ["postgres"]


def test_a_worker_reuses_its_last_result_for_a_second(services: dict[str, str], database_url: str) -> None:
    """A flood of probes costs one real check per max_age; a dependency that went down shows after it."""
    from aisha.health import HealthCheck
    from aisha.storage import Storage

    settings = load_settings(_env(services, database_url))
    now = [100.0]
    health = HealthCheck(settings, storage=Storage(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region),
                         timeout=1, max_age=1.0, clock=lambda: now[0])
    assert health.run()[0]
    health.settings = load_settings({**_env(services, database_url), "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"})
    now[0] += 0.5
    assert health.run()[0], "within max_age the last result stands"
    now[0] += 0.5
    healthy, report = health.run()
    assert not healthy and report["failed"] == ["redis"]
