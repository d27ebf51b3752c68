"""The whole Aisha stack for end-to-end tests: two runner instances serving the real chalice.json
against the real local services, the FAL stand-in (TLS, signed webhooks) and the Telegram stand-in.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aisha.resources import Resources

from infra.devservices.procs import free_port
from infra.stack import RunnerProcess, stop_runners
from sandbox.chatpage import add_chat_page
from sandbox.fal import FalSandbox
from sandbox.fal import SandboxConfig as FalConfig
from sandbox.telegram import SandboxClient, TelegramSandbox
from tests import web
from tests.e2e.aisha.bot_kit import wait_for
from tests.fal_hosts import use_fal_hosts

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Stack:
    urls: list[str]  # the runner instances
    env: dict[str, str]
    fal: FalSandbox
    telegram: TelegramSandbox
    chat: SandboxClient
    runners: list[RunnerProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def chat_page_url(self) -> str:
        """The chat page (sandbox.chatpage) on the Telegram stand-in; ``?chat=<id>&name=&lang=`` picks the user."""
        return f"{self.telegram.url}/chat"

    def settings(self) -> Any:
        from aisha.config import load_settings

        return load_settings(self.env)

    def log_text(self) -> str:
        return "\n".join(r.log.read_text(errors="replace")[-20000:] for r in self.runners)


@pytest.fixture(scope="session")
def stack(services: dict[str, str], database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("stack")
    fal = FalSandbox(home / "certs", FalConfig(queue_delay=0.2, processing_delay=0.3, retry_time_scale=0.002)).start()
    telegram = TelegramSandbox(time_scale=0.01, extra_routes=add_chat_page).start()
    ports = [free_port(), free_port()]
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ, **services, **fal.client_env(),
        "DATABASE_URL": database_url,
        "S3_BUCKET_PHOTOS": f"photos-{tag}", "S3_BUCKET_LORAS": f"loras-{tag}", "S3_BUCKET_IMAGES": f"images-{tag}",
        "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "WELCOME_BONUS": "0", "LOG_LEVEL": "INFO", "FAL_JWKS_MIN_REFRESH_SECONDS": "0.5",
        "RUNNER_EVENTS_PREFIX": f"test:{tag}:events", "RUNNER_EVENTS_BACKOFF": "0.3,0.6",
        "RUNNER_EVENTS_CLAIM_IDLE": "5",
    }
    runners = [RunnerProcess(port, ROOT / "chalice.json", env, home / f"runner-{port}.log") for port in ports]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.wait_healthy(120)
    urls = [runner.url for runner in runners]
    web.post(f"{telegram.base_url}{telegram.token}/setWebhook",
             json={"url": f"{urls[0]}/webhook/telegram", "secret_token": env["TELEGRAM_WEBHOOK_SECRET"]},
             timeout=10).raise_for_status()
    use_fal_hosts(env)
    chat = SandboxClient(telegram.url)
    yield Stack(urls, env, fal, telegram, chat, runners)
    chat.close()
    stop_runners(runners)
    telegram.stop()
    fal.stop()


@pytest.fixture
def waiter() -> Any:
    return wait_for


@pytest.fixture(scope="session")
def res(stack: Stack) -> Iterator[Resources]:
    """The core layer's clients on the stack's database, bucket and Redis."""
    resources = Resources(stack.settings())
    yield resources
    resources.close()
