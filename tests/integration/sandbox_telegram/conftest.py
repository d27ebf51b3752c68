"""A running Telegram stand-in per test, its admin client, and a local webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.telegram import SandboxClient, TelegramSandbox
from tests.integration.sandbox_telegram.harness import Receiver


@pytest.fixture
def sandbox() -> Iterator[TelegramSandbox]:
    with TelegramSandbox(time_scale=0.01) as server:
        yield server


@pytest.fixture
def client(sandbox: TelegramSandbox) -> Iterator[SandboxClient]:
    with SandboxClient(sandbox.url, timeout=20) as admin:
        yield admin


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver().start()
    yield hook
    hook.stop()
