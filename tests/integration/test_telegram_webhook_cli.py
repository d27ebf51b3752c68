"""`python -m infra.telegram_webhook` against the Bot API stand-in: set (URL, secret, allowed updates,
max connections), info, delete; the token and the secret never appear in what it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.telegram_webhook import ALLOWED_UPDATES, main
from sandbox.telegram import TelegramSandbox

ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook-Secret_0123456789"


@pytest.fixture
def sandbox() -> Iterator[TelegramSandbox]:
    telegram = TelegramSandbox().start()
    yield telegram
    telegram.stop()


def _env(sandbox: TelegramSandbox) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": sandbox.token, "TELEGRAM_API_BASE_URL": sandbox.base_url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET, "PUBLIC_BASE_URL": "https://bot.example.org/"}


def test_set_info_delete(sandbox: TelegramSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env = _env(sandbox)
    assert main(["set", "--max-connections", "12", "--drop-pending-updates"], env) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed)["url"] == "https://bot.example.org/webhook/telegram"
    hook = sandbox.core.dispatcher.webhook
    assert hook is not None
    assert (hook.url, hook.secret_token, hook.max_connections) == (
        "https://bot.example.org/webhook/telegram", SECRET, 12)
    assert sandbox.core.dispatcher.allowed_updates == list(ALLOWED_UPDATES)
    assert sorted(ALLOWED_UPDATES) == ["callback_query", "message", "pre_checkout_query"]

    assert main(["info"], env) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["url"] == "https://bot.example.org/webhook/telegram"
    assert info["max_connections"] == 12 and info["allowed_updates"] == list(ALLOWED_UPDATES)
    assert info["pending_update_count"] == 0

    assert main(["delete"], env) == 0
    assert json.loads(capsys.readouterr().out)["webhook"] == "deleted"
    assert sandbox.core.dispatcher.webhook is None
    assert main(["info"], env) == 0
    after = capsys.readouterr().out
    assert json.loads(after)["url"] == ""
    for output in (printed, json.dumps(info), after):
        assert sandbox.token not in output and SECRET not in output


def test_missing_settings_are_named_and_nothing_secret_is_printed(sandbox: TelegramSandbox,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    env = _env(sandbox)
    del env["PUBLIC_BASE_URL"]
    assert main(["set"], env) == 1
    assert "PUBLIC_BASE_URL is required" in capsys.readouterr().err
    assert main(["info"], {**env, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and sandbox.token not in err
    assert sandbox.core.dispatcher.webhook is None


def test_runs_as_a_module_from_the_repository(sandbox: TelegramSandbox) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "PUBLIC_BASE"))}
    env.pop("PYTHONPATH", None)
    env.update(_env(sandbox))
    done = subprocess.run([sys.executable, "-m", "infra.telegram_webhook", "set"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sandbox.core.dispatcher.webhook is not None
    assert sandbox.token not in done.stdout + done.stderr and SECRET not in done.stdout + done.stderr
