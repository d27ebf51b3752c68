"""Runner instances and nginx in front of them, as child processes that are always stopped again.

Used by `make run` (infra/run.py) and by the end-to-end tests, so both exercise the same start-up path:
build once, start N `python -m local_runner serve` instances, wait for their /_runner/health, then nginx.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from infra.connections import BudgetError, connection_budget
from infra.devservices.procs import free_port, port_open
from infra.nginx import NginxProcess, NginxSettings

NGINX_PEERS = "127.0.0.1,::1"  # where this stack's nginx connects to the runners from


class StackError(RuntimeError):
    """A part of the stack did not come up."""


def _cli(manifest: Path, stage: str, build_dir: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "local_runner", "--manifest", str(manifest), "--stage", stage]
    return argv + (["--build-dir", str(build_dir)] if build_dir is not None else [])


PORT_TRIES = 3  # runners started again on another port when theirs was taken before they bound it


def pick_port(preferred: int, taken: set[int]) -> int:
    """The preferred port when nothing listens there, else a free one."""
    port = preferred if preferred and preferred not in taken and not port_open(preferred) else free_port()
    while port in taken:
        port = free_port()
    taken.add(port)
    return port


@dataclass
class RunnerProcess:
    port: int
    manifest: Path
    env: Mapping[str, str]
    log: Path
    stage: str = "dev"
    extra_args: Sequence[str] = ()
    build_dir: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        argv = [*_cli(self.manifest, self.stage, self.build_dir), "serve", "--host", "127.0.0.1",
                "--port", str(self.port), *self.extra_args]
        with open(self.log, "ab") as out:
            # Its own session: Ctrl-C in the terminal reaches the supervisor only, which stops it in order;
            # the group lets the supervisor kill the runner's workers too if the runner itself hangs.
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         env=dict(self.env), start_new_session=True)

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if not self.alive():
                raise StackError(f"runner on port {self.port} exited; see {self.log}")
            if time.monotonic() > deadline:
                raise StackError(f"runner on port {self.port} not healthy after {timeout:.0f} s")
            time.sleep(0.1)

    def port_was_taken(self) -> bool:
        """The runner exited because its port was in use when it came to bind it."""
        try:
            return "Address already in use" in self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return False

    def healthy(self) -> bool:
        return self._answers_200("/_runner/health")

    def ready(self) -> bool:
        """Provisioned workers up, Redis reachable, not draining."""
        return self._answers_200("/_runner/ready")

    def _answers_200(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=1) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):  # a 503 raises HTTPError, a kind of URLError
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """SIGTERM: the runner starts draining; `stop` waits for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (the runner drains), then SIGKILL of its whole process group after the timeout."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:  # anything left in its group (workers of a runner that died or hung)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(5)


def stop_runners(runners: Sequence[RunnerProcess]) -> None:
    """Stop instances together: all are told to drain first (each waits out its idle keep-alive connections,
    3 s), then each is waited for, so the drains overlap instead of adding up."""
    for runner in runners:
        runner.terminate()
    for runner in runners:
        runner.stop()


@dataclass
class Stack:
    manifest: Path
    env: Mapping[str, str]
    state: Path  # logs and nginx's prefix live under here
    runner_ports: Sequence[int] = (8001, 8002)
    nginx_port: int = 8080
    stage: str = "dev"
    runner_args: Sequence[str] = ()
    build_dir: Path | None = None  # default: the runner's (<manifest folder>/build)
    nginx_keepalive: int = 32  # idle upstream connections per nginx worker (infra.nginx.NginxSettings)
    show_build_progress: bool = False  # the build's progress lines go to this process's stderr (`make run`)
    db_max_connections: int = 0  # the database's max_connections, shared by the instances; 0: not counted
    runners: list[RunnerProcess] = field(default_factory=list)
    nginx: NginxProcess | None = None

    def build(self) -> None:
        """Build once before the instances start, so two of them never build into one folder at once."""
        argv = [*_cli(self.manifest, self.stage, self.build_dir), "build"]
        done = subprocess.run(argv, env=dict(self.env), stdout=subprocess.PIPE, text=True, timeout=900,
                              stderr=None if self.show_build_progress else subprocess.PIPE)
        if done.returncode != 0:
            raise StackError(f"build failed:\n{done.stdout}{done.stderr or ''}")

    def start(self, timeout: float = 120.0, build: bool = True) -> None:
        try:
            self._start(timeout, build)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float, build: bool) -> None:
        if build:
            self.build()
        taken: set[int] = set()
        # The runners believe X-Forwarded-For only from their own nginx, which listens on loopback here.
        env = {"RUNNER_TRUSTED_PROXIES": NGINX_PEERS, **self.env}
        if self.db_max_connections:
            try:
                env = {**connection_budget(self.env, len(self.runner_ports), self.db_max_connections), **env}
            except BudgetError as exc:
                raise StackError(str(exc)) from None
        for i, preferred in enumerate(self.runner_ports):
            runner = RunnerProcess(pick_port(preferred, taken), self.manifest, env,
                                   self.state / "logs" / f"runner-{i + 1}.log", self.stage, self.runner_args,
                                   self.build_dir)
            runner.start()
            self.runners.append(runner)
        started = time.monotonic()
        for runner in self.runners:
            for attempt in range(PORT_TRIES):
                try:
                    runner.wait_healthy(max(1.0, timeout - (time.monotonic() - started)))
                    break
                except StackError:
                    # a free port found here can be taken by anything before the runner binds it: another one
                    if attempt == PORT_TRIES - 1 or runner.alive() or not runner.port_was_taken():
                        raise
                    runner.port = pick_port(0, taken)
                    runner.start()
        self.nginx = NginxProcess(NginxSettings(prefix=self.state / "nginx",
                                                listen=f"127.0.0.1:{pick_port(self.nginx_port, taken)}",
                                                upstreams=[f"127.0.0.1:{r.port}" for r in self.runners],
                                                upstream_keepalive=self.nginx_keepalive))
        self.nginx.start()

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    def stop(self) -> None:
        """nginx first (no new requests), then the runners drain; nothing is left running."""
        if self.nginx is not None:
            self.nginx.stop()
        stop_runners(self.runners)
