"""The alert rules pass promtool's checks and their unit tests (infra/monitoring/alerts*.test.yml)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.e2e.ops.system_tools import need

MONITORING = Path(__file__).resolve().parents[3] / "infra" / "monitoring"
UNIT_TESTS = sorted(p.name for p in MONITORING.glob("alerts*.test.yml"))  # the day-long ones on a coarser interval


def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    promtool = need("promtool")
    checked = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=MONITORING, capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool, "test", "rules", *UNIT_TESTS], cwd=MONITORING, capture_output=True,
                            text=True, timeout=120)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test() -> None:
    alerts = {r["alert"] for g in yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"]
              for r in g["rules"] if "alert" in r}
    assert len(UNIT_TESTS) == 2
    tests = [t for name in UNIT_TESTS for t in yaml.safe_load((MONITORING / name).read_text())["tests"]]
    fired = {case["alertname"] for t in tests for case in t.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert alerts == fired


def test_the_sample_prometheus_config_is_valid(tmp_path: Path) -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    config["rule_files"] = [str(MONITORING / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    checked = subprocess.run([need("promtool"), "check", "config", str(tmp_path / "prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["aisha-runner"]["metrics_path"] == "/_runner/metrics"
    assert jobs["aisha-domain"]["metrics_path"] == "/metrics"


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each panel's expression as a recording rule: a typo fails here, not in Grafana."""
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 15
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:q{i}", "expr": e}
                                                         for i, e in enumerate(exprs)]}]}
    (tmp_path / "dashboard-rules.yml").write_text(json.dumps(rules))
    checked = subprocess.run([need("promtool"), "check", "rules", str(tmp_path / "dashboard-rules.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
