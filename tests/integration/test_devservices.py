"""`make services` twice: the same servers, no duplicates, settings file stable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infra.devservices import status, up
from infra.devservices.orchestrate import read_env_file

ROOT = Path(__file__).resolve().parents[2]


def _count(pattern: str) -> int:
    result = subprocess.run(["pgrep", "-f", "-c", pattern], capture_output=True, text=True)
    return int(result.stdout.strip() or 0)


def test_up_twice_reuses_the_running_servers(services: dict[str, str]) -> None:
    redis_port = services["REDIS_URL"].rsplit(":", 1)[1].split("/")[0]
    s3_port = services["S3_ENDPOINT_URL"].rsplit(":", 1)[1]
    # this checkout's servers only: other checkouts on the machine start and stop their own meanwhile
    s3 = f"infra.devservices.s3_server --port {s3_port}"
    before = (_count(f"redis-server 127.0.0.1:{redis_port}"), _count(s3))
    assert before == (1, 1)
    again = up(ROOT, migrate=False).env
    cli = subprocess.run([sys.executable, "-m", "infra.devservices", "up", "--no-migrate"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    after = (_count(f"redis-server 127.0.0.1:{redis_port}"), _count(s3))
    assert again == services
    assert read_env_file(ROOT) == services
    assert after == before
    assert all(port is not None for port in status(ROOT).values())


def test_the_settings_file_is_readable_only_by_its_owner(services: dict[str, str]) -> None:
    path = ROOT / ".local" / "services.env"
    path.chmod(0o644)  # as an older checkout left it: the next `up` tightens it
    up(ROOT, migrate=False)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_env_file(ROOT) == services


def test_a_private_file_is_never_wider_than_0600(tmp_path: Path) -> None:
    import os

    from infra.devservices.procs import write_private

    old = os.umask(0)  # the loosest umask: the mode must not depend on it
    try:
        write_private(tmp_path / "fresh.env", "A=1\n")
        (tmp_path / "old.env").write_text("B=2\n")
        (tmp_path / "old.env").chmod(0o666)
        write_private(tmp_path / "old.env", "B=3\n")
    finally:
        os.umask(old)
    for name, text in (("fresh.env", "A=1\n"), ("old.env", "B=3\n")):
        assert ((tmp_path / name).stat().st_mode & 0o777, (tmp_path / name).read_text()) == (0o600, text)
