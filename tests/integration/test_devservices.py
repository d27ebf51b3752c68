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
