"""A real Prometheus scrapes both runner instances directly; the instance-down alert of
infra/monitoring/alerts.yml fires for the one that dies, and only for it."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from infra.devservices.procs import free_port
from infra.stack import Stack
from tests import web
from tests.e2e.ops.system_tools import need

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "infra" / "monitoring" / "alerts.yml"


def _wait(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def _instance_down_rule() -> dict[str, Any]:
    """The real rule, with its `for` shortened: the expression under test is the production one."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rule = next(r for g in groups for r in g["rules"] if r.get("alert") == "RunnerInstanceDown")
    return {**rule, "for": "2s"}


@pytest.fixture
def prometheus(two_runners: Stack, tmp_path: Path) -> Iterator[str]:
    rules = tmp_path / "rules.yml"
    rules.write_text(json.dumps({"groups": [{"name": "under-test", "rules": [_instance_down_rule()]}]}))
    config = tmp_path / "prometheus.yml"
    targets = [f"127.0.0.1:{r.port}" for r in two_runners.runners]
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "aisha-runner", "metrics_path": "/_runner/metrics",
                            "static_configs": [{"targets": targets}]}],
    }))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen([need("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _ready(url, proc), 60, "prometheus ready")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise AssertionError("prometheus exited; see prometheus.log")
    try:
        return web.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _up(url: str) -> dict[str, float]:
    result = web.get(f"{url}/api/v1/query", params={"query": 'up{job="aisha-runner"}'}, timeout=5).json()
    return {s["metric"]["instance"]: float(s["value"][1]) for s in result["data"]["result"]}


def _firing(url: str) -> list[dict[str, Any]]:
    alerts = web.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == "RunnerInstanceDown" and a["state"] == "firing"]


def test_an_instance_that_dies_fires_its_alert(two_runners: Stack, prometheus: str) -> None:
    first, second = two_runners.runners
    both = {f"127.0.0.1:{first.port}": 1.0, f"127.0.0.1:{second.port}": 1.0}
    _wait(lambda: _up(prometheus) == both, 30, "both instances scraped and up")
    # each instance's own runner telemetry is what arrives, not one instance's twice
    samples = web.get(f"{prometheus}/api/v1/query", params={"query": 'scrape_samples_scraped{job="aisha-runner"}'},
                      timeout=5).json()["data"]["result"]
    assert {s["metric"]["instance"] for s in samples} == set(both)
    assert all(float(s["value"][1]) > 0 for s in samples)
    assert _firing(prometheus) == []

    assert second.proc is not None
    second.proc.send_signal(signal.SIGKILL)  # dies, no draining
    second.proc.wait(10)
    firing = _wait(lambda: _firing(prometheus), 60, "RunnerInstanceDown firing")
    assert [a["labels"]["instance"] for a in firing] == [f"127.0.0.1:{second.port}"]
    assert firing[0]["labels"]["severity"] == "page"
    assert "does not answer /_runner/metrics" in firing[0]["annotations"]["summary"]
    assert _up(prometheus)[f"127.0.0.1:{first.port}"] == 1.0
