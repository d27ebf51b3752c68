"""Starting real runner processes for the runner's integration tests (imported by conftest and tests)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import httpx

from tests import web

ROOT = Path(__file__).resolve().parents[3]
COLLECTION = ROOT / "tests" / "fixtures" / "runner_collection"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningServer:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.http = web.client(base_url=self.url, timeout=30)

    def log(self) -> str:
        return self.log_path.read_text()

    def log_records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def lambda_client(self) -> Any:
        from botocore.config import Config

        return boto3.client("lambda", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x",
                            config=Config(retries={"total_max_attempts": 1}, read_timeout=60))

    def worker_pids(self, function: str) -> list[int]:
        """Live worker processes of one function (children of the server)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                env = (entry / "environ").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and f"AWS_LAMBDA_FUNCTION_NAME={function}".encode() in env:
                pids.append(int(entry.name))
        return pids

    def busy_workers(self, function: str) -> int:
        """The runner's own gauge of workers running an invocation of `function`."""
        for line in self.http.get("/_runner/metrics").text.splitlines():
            if line.startswith(f'runner_busy_workers{{function="{function}"}}'):
                return int(float(line.split()[-1]))
        return 0

    def wait_busy(self, function: str, count: int = 1, timeout: float = 20) -> None:
        """Until `count` invocations of `function` are running (a request sent from another thread got there)."""
        wait_until(lambda: self.busy_workers(function) >= count, timeout, f"{count} busy {function} worker(s)")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def start(build: Path, log_dir: Path, *, manifest: Path = COLLECTION / "chalice.json", args: Sequence[str] = (),
          env: dict[str, str] | None = None, wait: str = "ready", stage: str = "dev") -> RunningServer:
    """A `python -m local_runner serve` subprocess on a free port, once /_runner/<wait> answers 200."""
    port = free_port()
    log_path = log_dir / f"runner-{port}.log"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_") and k != "REDIS_URL"}
    base_env.update({"RUNNER_FIXTURE_SECRET": "from-the-runner-env", "RUNNER_THROTTLE_WAIT": "0.5"})
    base_env.update(env or {})
    cmd = [sys.executable, "-m", "local_runner", "--manifest", str(manifest), "--build-dir", str(build),
           "--stage", stage, "serve", "--port", str(port), *args]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=base_env, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(proc, port, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"runner exited {proc.returncode}:\n{server.log()}")
        try:
            if server.http.get(f"/_runner/{wait}").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"runner not ready:\n{server.log()}")
