"""Starts and stops the local S3 endpoint (see s3_server.py) as a detached process."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from infra.devservices.procs import free_port, pid_alive, read_pid, spawn_detached, terminate, wait_until

ACCESS_KEY = "aisha-local"
SECRET_KEY = "aisha-local-secret"
REGION = "us-east-1"


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
            return resp.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except OSError:
        return False


class S3Server:
    def __init__(self, home: Path, project_root: Path) -> None:
        self.home = home
        self.project_root = project_root
        self.pidfile = home / "s3.pid"
        self.portfile = home / "port"

    def running_port(self) -> int | None:
        pid = read_pid(self.pidfile)
        port = read_pid(self.portfile)
        if pid is None or port is None or not pid_alive(pid) or not _answers(port):
            return None
        return port

    def start(self) -> int:
        port = self.running_port()
        if port is not None:
            return port
        self.home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {"PYTHONPATH": str(self.project_root), "PATH": "/usr/bin:/bin",
               "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        pid = spawn_detached(
            [sys.executable, "-m", "infra.devservices.s3_server", "--port", str(port)],
            self.home / "s3.log",
            env=env,
        )
        self.pidfile.write_text(str(pid))
        self.portfile.write_text(str(port))
        wait_until(lambda: _answers(port) or not pid_alive(pid), 30, "the S3 endpoint (moto)")
        if not pid_alive(pid):
            raise RuntimeError(f"the S3 endpoint exited at start: see {self.home / 's3.log'}")
        return port

    def stop(self) -> bool:
        pid = read_pid(self.pidfile)
        if pid is None or not pid_alive(pid):
            return False
        terminate(pid)
        self.pidfile.unlink(missing_ok=True)
        return True

    @staticmethod
    def url(port: int) -> str:
        return f"http://127.0.0.1:{port}"
