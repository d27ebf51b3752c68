"""Every operator CLI finds the local services without `source .local/services.env` first."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from infra.cli_env import cli_environ, read_env_file

ROOT = Path(__file__).resolve().parents[3]
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def _bare_shell() -> dict[str, str]:
    """A newcomer's shell: none of the services' settings exported."""
    return {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and not k.startswith("RUNNER_")}


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / "services.env"
    env_file.write_text("# made by make services\nDATABASE_URL=postgresql://file/db\nexport REDIS_URL='redis://f'\n")
    assert read_env_file(env_file) == {"DATABASE_URL": "postgresql://file/db", "REDIS_URL": "redis://f"}
    merged = cli_environ({"DATABASE_URL": "postgresql://shell/db"}, env_file)
    assert merged["DATABASE_URL"] == "postgresql://shell/db" and merged["REDIS_URL"] == "redis://f"
    assert cli_environ({"A": "1"}, tmp_path / "missing.env") == {"A": "1"}


def test_local_runner_failed_list_reads_an_env_file(services: dict[str, str], tmp_path: Path) -> None:
    env_file = tmp_path / "services.env"
    prefix = f"ops-env:{uuid.uuid4().hex[:8]}"
    env_file.write_text(f"REDIS_URL={services['REDIS_URL']}\nRUNNER_EVENTS_PREFIX={prefix}\n")
    argv = [sys.executable, "-m", "local_runner", "--env-file", str(env_file), "failed", "list"]
    done = subprocess.run(argv, cwd=tmp_path, env={**_bare_shell(), "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 parked event(s)"
    # a file naming a Redis where nothing listens: the command fails on exactly that address
    from infra.devservices.procs import free_port

    closed = free_port()
    env_file.write_text(f"REDIS_URL=redis://127.0.0.1:{closed}/0\n")
    failed = subprocess.run(argv, cwd=tmp_path, env={**_bare_shell(), "PYTHONPATH": str(ROOT)}, capture_output=True,
                            text=True, timeout=60)
    assert failed.returncode == 2 and f"127.0.0.1:{closed}" in failed.stderr


def test_local_runner_defaults_to_the_projects_services_env(services: dict[str, str]) -> None:
    assert (ROOT / ".local" / "services.env").exists()  # the session's services wrote it
    done = subprocess.run([sys.executable, "-m", "local_runner", "failed", "list", "--json"], cwd=ROOT,
                          env=_bare_shell(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_migrate_lists_with_the_projects_services_env(services: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "infra.migrate", "--list"], cwd=ROOT, env=_bare_shell(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
