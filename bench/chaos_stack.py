"""The system the chaos suite breaks: nginx in front of two runner instances serving the real chalice.json,
on the suite's own services (bench.chaos_services), the FAL stand-in and the Telegram stand-in.

The stand-ins deliver nothing themselves: the FAL stand-in keeps finished jobs' webhooks (drop_webhooks)
and Telegram has no webhook set, so the workload sends every delivery itself, as the providers would
(bench.chaos_workload). Everything `start()` started, `stop()` stops, including workers a killed runner
left behind.
"""

from __future__ import annotations

import os
import secrets
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.chaos_services import ChaosServices
from bench.procstats import function_of
from infra.devservices.procs import free_port, pid_alive
from infra.stack import Stack
from sandbox.fal import FalSandbox
from sandbox.fal import SandboxConfig as FalConfig
from sandbox.telegram import SandboxClient, TelegramSandbox

ROOT = Path(__file__).resolve().parents[1]
WELCOME_BONUS = 25


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill9(pids: list[int]) -> int:
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return killed


@dataclass
class ChaosStack:
    home: Path
    events_backoff: str = "1,2"  # the runners' Event retries (Lambda's 60,120 s, scaled down)
    services: ChaosServices = field(default_factory=ChaosServices)
    env: dict[str, str] = field(default_factory=dict)
    fal: FalSandbox | None = None
    telegram: TelegramSandbox | None = None
    chat: SandboxClient | None = None
    stack: Stack | None = None
    _strays: set[int] = field(default_factory=set)  # workers of killed runners, stopped at the end

    def start(self) -> ChaosStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.services.start()
        self.fal = FalSandbox(self.home / "certs", FalConfig(queue_delay=0.05, processing_delay=0.05,
                                                             drop_webhooks=True, max_concurrency=8)).start()
        self.telegram = TelegramSandbox(time_scale=0.01).start()
        self.chat = SandboxClient(self.telegram.url)
        nginx_port = free_port()
        tag = uuid.uuid4().hex[:8]
        self.env = {
            **os.environ, **self.services.env, **self.fal.client_env(),
            "S3_BUCKET_PHOTOS": f"photos-{tag}", "S3_BUCKET_LORAS": f"loras-{tag}", "S3_BUCKET_IMAGES": f"images-{tag}",
            "TELEGRAM_BOT_TOKEN": self.telegram.token, "TELEGRAM_API_BASE_URL": self.telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24), "PUBLIC_BASE_URL": f"http://127.0.0.1:{nginx_port}",
            "WELCOME_BONUS": str(WELCOME_BONUS), "LOG_LEVEL": "INFO", "FAL_JWKS_MIN_REFRESH_SECONDS": "0.5",
            "RUNNER_EVENTS_PREFIX": f"chaos:{tag}:events", "RUNNER_EVENTS_BACKOFF": self.events_backoff,
            "RUNNER_EVENTS_CLAIM_IDLE": "3",
            # the sweep's clock, scaled down like the Event retries: FAL processing retries after 1, 2, 2... s
            # (60 s doubling to an hour in production), stuck work is looked at after 10 s (15 minutes)
            "FAL_RETRY_BASE_SECONDS": "1", "FAL_RETRY_MAX_DELAY_SECONDS": "2", "RECONCILE_AFTER_SECONDS": "10",
            # a handed-on delivery whose invocation was lost is handed on again after 10 s (10 minutes)
            "FAL_HAND_ON_LEASE_SECONDS": "10",
            # a dead sender's claim on a message lapses after 15 s (5 minutes), unsent ones are resent after 2 s
            "OUTBOX_CLAIM_SECONDS": "15", "OUTBOX_RESEND_AFTER_SECONDS": "2",
        }
        self.stack = Stack(manifest=ROOT / "chalice.json", env=self.env, state=self.home / "stack",
                           runner_ports=(0, 0), nginx_port=nginx_port, runner_args=("--drain-timeout", "10"))
        self.stack.start(timeout=180)

    @property
    def url(self) -> str:
        assert self.stack is not None
        return self.stack.url

    @property
    def runner_urls(self) -> list[str]:
        assert self.stack is not None
        return [runner.url for runner in self.stack.runners]

    def settings(self) -> object:
        from aisha.config import load_settings

        return load_settings(self.env)

    # -- faults on the instances -----------------------------------------------------------------------
    def workers(self, functions: set[str] | None = None) -> list[int]:
        """PIDs of the runners' worker processes (children of each runner), of `functions` or all."""
        assert self.stack is not None
        pids = []
        for runner in self.stack.runners:
            if runner.proc is None or runner.proc.poll() is not None:
                continue
            pids += [p for p in _children(runner.proc.pid) if functions is None or function_of(p) in functions]
        return pids

    def busy_workers(self, function: str) -> list[int]:
        """Per instance: its workers of `function` running an invocation now (its /_runner/metrics)."""
        import re
        import urllib.request

        counts = []
        pattern = re.compile(rf'^runner_busy_workers\{{function="{function}"\}} ([0-9.]+)$', re.M)
        for url in self.runner_urls:
            try:
                with urllib.request.urlopen(f"{url}/_runner/metrics", timeout=2) as answer:
                    found = pattern.search(answer.read().decode())
            except OSError:
                found = None
            counts.append(int(float(found.group(1))) if found else 0)
        return counts

    def kill_runner(self, index: int) -> int:
        """kill -9 of one instance: the runner and its workers at once, as a crashed host or container."""
        assert self.stack is not None
        runner = self.stack.runners[index]
        assert runner.proc is not None
        workers = _children(runner.proc.pid)
        runner.proc.send_signal(signal.SIGKILL)
        runner.proc.wait(10)
        self._strays.update(workers)
        return 1 + kill9(workers)

    def restart_runner(self, index: int, timeout: float = 120.0) -> None:
        assert self.stack is not None
        runner = self.stack.runners[index]
        runner.start()  # the same port: nginx sends it traffic again once it answers
        runner.wait_healthy(timeout)

    def log_tail(self, chars: int = 4000) -> str:
        if self.stack is None:
            return ""
        return "\n".join(r.log.read_text(errors="replace")[-chars:] for r in self.stack.runners if r.log.exists())

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        kill9([pid for pid in self._strays if pid_alive(pid)])
        if self.chat is not None:
            self.chat.close()
        if self.telegram is not None:
            self.telegram.stop()
        if self.fal is not None:
            self.fal.stop()
        self.services.stop()

