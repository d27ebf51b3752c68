"""`make run` without FAL_KEY or TELEGRAM_BOT_TOKEN: the local FAL and Telegram stand-ins in their place.

Each stand-in runs on a thread of this process and gives the environment the functions need to use it
(hosts, keys, CA bundle, Bot API base URL). With the real credentials set, nothing is started and the
real services are used.

Without TELEGRAM_WEBHOOK_SECRET, one is generated once and kept in `.local/telegram-webhook-secret`
(mode 0600): the same on every run, so a webhook registered with it keeps working, and readable by
whoever registers it at the real Telegram (`python -m infra.telegram_webhook set`). It is never printed.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.devservices.procs import port_open

SECRET_FILE = "telegram-webhook-secret"


@dataclass
class StandIns:
    state: Path  # .local: the FAL stand-in's certificates and the generated webhook secret live under it
    fal: Any = None
    telegram: Any = None
    env: dict[str, str] = field(default_factory=dict)
    secret: str = ""  # the webhook secret in effect, from the environment or the secret file
    secret_file: Path | None = None  # set when the secret comes from the file

    def _webhook_secret(self, environ: Mapping[str, str]) -> str:
        given = environ.get("TELEGRAM_WEBHOOK_SECRET")
        if given:
            return given
        path = self.state / SECRET_FILE
        self.secret_file = path
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secret + "\n")
        return secret

    def start(self, environ: Mapping[str, str], *, telegram_port: int = 8081) -> dict[str, str]:
        """Start what the environment does not replace; returns the variables to give the functions."""
        if not environ.get("FAL_KEY"):
            from sandbox.fal import FalSandbox

            self.fal = FalSandbox(self.state / "fal-sandbox").start()
            self.env.update(self.fal.client_env())
        if not environ.get("TELEGRAM_BOT_TOKEN"):
            from sandbox.telegram import TelegramSandbox

            extra = _chat_page_routes()
            port = telegram_port if not port_open(telegram_port) else 0
            self.telegram = TelegramSandbox(extra_routes=extra, port=port).start()
            self.env.update({"TELEGRAM_BOT_TOKEN": self.telegram.token,
                             "TELEGRAM_API_BASE_URL": self.telegram.base_url})
            if not environ.get("WELCOME_BONUS"):
                self.env["WELCOME_BONUS"] = "500"  # a local developer can train and generate right away
        self.secret = self._webhook_secret(environ)
        if not environ.get("TELEGRAM_WEBHOOK_SECRET"):
            self.env["TELEGRAM_WEBHOOK_SECRET"] = self.secret
        return dict(self.env)

    def register_webhook(self, public_url: str) -> None:
        """Point the Telegram stand-in at our webhook (the real Telegram: `python -m infra.telegram_webhook set`)."""
        if self.telegram is None:
            return
        body = json.dumps({"url": f"{public_url}/webhook/telegram",
                           "secret_token": self.secret,
                           "allowed_updates": ["message", "callback_query", "pre_checkout_query"]}).encode()
        request = urllib.request.Request(f"{self.telegram.base_url}{self.telegram.token}/setWebhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            if not json.load(response).get("ok"):
                raise RuntimeError("the Telegram stand-in refused setWebhook")
        self._register_commands()

    def _register_commands(self) -> None:
        """The command menu per language, as `python -m infra.telegram_webhook set` gives the real bot."""
        from infra.telegram_webhook import command_menus

        assert self.telegram is not None
        for code, menu in command_menus().items():
            body: dict[str, Any] = {"commands": [{"command": c, "description": d} for c, d in menu]}
            if code:
                body["language_code"] = code
            request = urllib.request.Request(f"{self.telegram.base_url}{self.telegram.token}/setMyCommands",
                                             data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                if not json.load(response).get("ok"):
                    raise RuntimeError("the Telegram stand-in refused setMyCommands")

    def describe(self) -> list[str]:
        lines = []
        if self.telegram is not None:
            lines.append(f"  chat     {self.telegram.url}/   (the bot, as a Telegram chat in your browser)")
        elif self.secret_file is not None:
            lines.append("  telegram the real Bot API; TELEGRAM_WEBHOOK_SECRET was not set, the functions use the one "
                         f"in {self.secret_file}: register the webhook with it: TELEGRAM_WEBHOOK_SECRET=$(cat "
                         f"{self.secret_file}) python -m infra.telegram_webhook set")
        else:
            lines.append("  telegram the real Bot API (register the webhook: python -m infra.telegram_webhook set)")
        lines.append(f"  fal      {self.fal.url}   (local stand-in)" if self.fal is not None else "  fal      FAL AI")
        return lines

    def stop(self) -> None:
        for standin in (self.telegram, self.fal):
            if standin is not None:
                standin.stop()
        self.telegram = self.fal = None


def _chat_page_routes() -> Any:
    try:
        from sandbox.chatpage import add_chat_page
    except ImportError:  # the page is optional for the Bot API itself
        return None
    return add_chat_page
