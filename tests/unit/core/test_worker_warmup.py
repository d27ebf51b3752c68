"""A provisioned worker warms what its function uses at init; an on-demand one stays lazy."""

from __future__ import annotations

import logging

import pytest
from aisha import worker


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []

    def broken(state: object) -> None:
        made.append("redis")
        raise ConnectionError("redis is down")

    monkeypatch.setattr(worker, "WARM", {"db": lambda state: made.append("db"), "redis": broken,
                                         "jwks": lambda state: made.append("jwks")})
    monkeypatch.setattr(worker, "state", lambda: object())
    return made


def test_an_on_demand_worker_warms_nothing(calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    worker.warm_if_provisioned("db", "jwks")
    assert calls == []


def test_a_provisioned_worker_warms_each_part_and_a_failure_only_logs(
        calls: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    with caplog.at_level(logging.WARNING, logger="aisha.worker"):
        worker.warm_if_provisioned("db", "redis", "jwks")
    assert calls == ["db", "redis", "jwks"]
    assert "warm-up of redis failed: ConnectionError: redis is down" in caplog.text


def test_a_functions_own_warm_up_runs_after_the_parts_and_a_failure_only_logs(
        calls: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def own_broken() -> None:
        calls.append("own-broken")
        raise TimeoutError("no answer")

    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    with caplog.at_level(logging.WARNING, logger="aisha.worker"):
        worker.warm_if_provisioned("db", check=lambda: calls.append("check"), other=own_broken)
    assert calls == ["db", "check", "own-broken"]
    assert "warm-up of other failed: TimeoutError: no answer" in caplog.text
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    worker.warm_if_provisioned(check=lambda: calls.append("again"))
    assert "again" not in calls


def test_a_part_that_does_not_exist_is_an_error_on_every_worker(calls: list[str]) -> None:
    with pytest.raises(ValueError, match="nothing to warm up named \\['dbb'\\]"):
        worker.warm_if_provisioned("db", "dbb")
