"""A project-local PostgreSQL cluster driven by initdb/pg_ctl.

PostgreSQL refuses to run as root; when we are root the cluster belongs to the `postgres` system
user (present wherever the server packages are) and every pg command runs through `runuser`.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from infra.devservices.procs import free_port

SUPERUSER = "aisha"
DATABASE = "aisha"


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise FileNotFoundError(f"{name} not found: install the PostgreSQL server binaries")


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _chown_to_owner(path: Path) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam("postgres")
    for p in [path, *path.rglob("*")]:
        os.chown(p, entry.pw_uid, entry.pw_gid)


def _owner_can_reach(path: Path) -> bool:
    if os.geteuid() != 0:
        return True
    probe = path if path.exists() else path.parent
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(probe)]).returncode == 0


def _cluster_home(home: Path) -> Path:
    """The project-local folder, unless the `postgres` user cannot reach it (a clone under /root):
    then a folder of its own under the temp dir, named after the project path."""
    home.parent.mkdir(parents=True, exist_ok=True)
    if _owner_can_reach(home.parent):
        return home
    tag = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"aisha-pg-{tag}"


MAX_CONNECTIONS = 200  # of the local cluster; infra.connections shares them among runner instances

class Postgres:
    def __init__(self, home: Path) -> None:
        home = _cluster_home(home)
        self.home = home
        self.data = home / "data"
        self.sockets = home / "sockets"
        self.log = home / "postgres.log"

    def running_port(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return None
        result = subprocess.run(
            _as_owner([_bin("pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            return None
        lines = pidfile.read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 else None

    def start(self) -> int:
        port = self.running_port()
        if port is not None:
            return port
        self.home.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(exist_ok=True)
            _chown_to_owner(self.home)
            subprocess.run(
                _as_owner(
                    [_bin("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8"]
                ),
                check=True,
                capture_output=True,
            )
        _chown_to_owner(self.home)
        port = free_port()
        options = (
            f"-p {port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={MAX_CONNECTIONS} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off"
        )
        subprocess.run(
            _as_owner(
                [_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                 "-w", "-t", "60", "start"]
            ),
            check=True,
            capture_output=True,
        )
        self._ensure_database(port)
        return port

    def _ensure_database(self, port: int) -> None:
        with psycopg.connect(self.admin_url(port), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> bool:
        if self.running_port() is None:
            return False
        subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=True,
            capture_output=True,
        )
        return True

    @staticmethod
    def admin_url(port: int) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"

    @staticmethod
    def url(port: int) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"
