"""The functions in this process, as warm Lambda workers, against the session's real PostgreSQL, Redis
and S3, the in-process Telegram Bot API stand-in, a JWKS of a test key, and an Invoke API stand-in.

The servers are package-scoped; the environment is set per test and restored after it, with the
functions' cached worker state forgotten both times (they read their settings once per process, as on
Lambda): nothing leaks into other tests that an xdist worker runs next.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sandbox.telegram import SandboxClient, TelegramSandbox
from tests.functional.fal_keys import FalKeys
from tests.functional.handlers import Handler, catalogue, fixed_environment, load_function, reset_worker_state
from tests.functional.invoke_api import InvokeApi


@dataclass
class Functions:
    env: dict[str, str]
    telegram: TelegramSandbox
    chat: SandboxClient
    fal_keys: FalKeys
    invoke_api: InvokeApi
    _loaded: dict[str, Handler] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def handler(self, name: str) -> Handler:
        if name not in self._loaded:
            self._loaded[name] = load_function(name)
        return self._loaded[name]

    def call(self, name: str, event: dict[str, Any]) -> Any:
        return self.handler(name)(event, None)

    def new_user(self, language: str = "en") -> int:
        """A fresh private chat in the stand-in (ids are random: Redis is shared by parallel runs)."""
        user_id = random.randint(10**9, 2 * 10**9)
        self.chat.set_user(user_id, first_name="Ann", language_code=language)
        return user_id

    def sent(self, user_id: int, after: int = 0) -> list[dict[str, Any]]:
        """The bot's messages in the chat (as they are now), oldest first."""
        return [m["message"] for m in self.chat.messages(user_id, direction="out") if m["message_id"] > after]

    def last_sent(self, user_id: int) -> dict[str, Any]:
        sent = self.sent(user_id)
        assert sent, f"the bot sent nothing to {user_id}"
        return sent[-1]


def button(message: dict[str, Any], language: str, key: str, **values: Any) -> str:
    """The callback data of the button labelled with catalogue entry `key`."""
    label = catalogue(language, key, **values)
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if b.get("text") == label]
    assert found, f"no button {key!r} ({label!r}) under {message.get('text')!r}"
    return str(found[0])


@pytest.fixture(scope="package")
def functions(services: dict[str, str], database_url: str) -> Iterator[Functions]:
    telegram = TelegramSandbox(time_scale=0.01).start()
    chat = SandboxClient(telegram.url)
    keys = FalKeys().start()
    loaded: dict[str, Handler] = {}

    def handler(name: str) -> Handler:
        if name not in loaded:
            loaded[name] = load_function(name)
        return loaded[name]

    invoke_api = InvokeApi(handler).start()
    tag = uuid.uuid4().hex[:8]
    env = {
        **fixed_environment(),
        **services,
        "DATABASE_URL": database_url,
        "S3_BUCKET_PHOTOS": f"fn-photos-{tag}", "S3_BUCKET_LORAS": f"fn-loras-{tag}",
        "S3_BUCKET_IMAGES": f"fn-images-{tag}",
        "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "FAL_JWKS_URL": keys.jwks_url, "FAL_JWKS_MIN_REFRESH_SECONDS": "0",
        "LAMBDA_ENDPOINT_URL": invoke_api.url, "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "WELCOME_BONUS": "0", "LOG_LEVEL": "WARNING",
    }
    try:
        yield Functions(env, telegram, chat, keys, invoke_api, loaded)
    finally:
        chat.close()
        invoke_api.stop()
        keys.stop()
        telegram.stop()


@pytest.fixture(autouse=True)
def _functions_environment(functions: Functions, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in functions.env.items():
        monkeypatch.setenv(key, value)
    reset_worker_state()  # a fresh warm worker for this test, reading this environment
    yield
    reset_worker_state()
