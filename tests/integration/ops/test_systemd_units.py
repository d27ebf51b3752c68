"""The host's systemd units pass `systemd-analyze verify`, installed as a host would have them.

The units name /opt/aisha (the checkout on a host); here that becomes this checkout, so verify can check
that every ExecStart binary exists. systemd-analyze comes with the `systemd` package: without it these
tests are skipped, and say so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
UNITS = ROOT / "infra" / "systemd"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (Debian: systemd)")


def _install(folder: Path) -> list[Path]:
    installed = []
    for unit in sorted(UNITS.glob("aisha*")):
        text = unit.read_text().replace("/opt/aisha", str(ROOT))
        names = [unit.name.replace("@.", f"@{port}.") for port in (8001, 8002)] if "@." in unit.name else [unit.name]
        for name in names:
            (folder / name).write_text(text)
            installed.append(folder / name)
    return installed


def test_every_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    installed = _install(tmp_path)
    assert {p.name for p in installed} == {"aisha-runner@8001.service", "aisha-runner@8002.service",
                                           "aisha-nginx.service", "aisha.target", "aisha-backup.service",
                                           "aisha-backup.timer"}
    assert ANALYZE is not None
    done = subprocess.run([ANALYZE, "verify", "--man=no", *(f"./{p.name}" for p in installed)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warnings: none allowed


def test_a_broken_unit_is_caught(tmp_path: Path) -> None:
    """The check itself can fail: a runner unit whose interpreter is missing does not verify."""
    text = (UNITS / "aisha-runner@.service").read_text().replace("/opt/aisha/.venv/bin/python", "/nonexistent/python")
    (tmp_path / "aisha-runner@9.service").write_text(text.replace("/opt/aisha", str(ROOT)))
    assert ANALYZE is not None
    done = subprocess.run([ANALYZE, "verify", "--man=no", "./aisha-runner@9.service"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "/nonexistent/python" in done.stderr


def test_the_backup_timer_fires_every_six_hours() -> None:
    calendar = re.search(r"^OnCalendar=(.+)$", (UNITS / "aisha-backup.timer").read_text(), re.M)
    assert calendar is not None and ANALYZE is not None
    done = subprocess.run([ANALYZE, "calendar", "--iterations=3", calendar.group(1)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    hours = [int(h) for h in re.findall(r"(?:Next elapse|Iter\. #\d): \w+ [\d-]+ (\d\d):00:00 UTC", done.stdout)]
    assert len(hours) == 3 and all(h % 6 == 0 for h in hours)


def test_each_host_file_differs_only_in_its_own_address() -> None:
    def values(name: str) -> dict[str, str]:
        lines = (UNITS / name).read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))

    a, b = values("host-a.env.example"), values("host-b.env.example")
    assert set(a) == set(b) and {k for k in a if a[k] != b[k]} == {"RUNNER_HOST"}
    assert "${RUNNER_HOST}" in (UNITS / "aisha-runner@.service").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in a:  # every setting a host sets is a documented one
        assert name.startswith("RUNNER_") or f"`{name}`" in readme, name
