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
from tests import web

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


def _menu(sandbox: TelegramSandbox, language: str | None) -> list[dict[str, str]]:
    """getMyCommands of the default scope, as a Telegram client of that language would get it."""
    body = {"language_code": language} if language else {}
    answer = web.post(f"{sandbox.base_url}{sandbox.token}/getMyCommands", json=body).json()
    assert answer["ok"], answer
    return list(answer["result"])


def test_set_registers_the_command_menu_per_language(sandbox: TelegramSandbox,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from aisha.texts import text

    assert _menu(sandbox, None) == [] and _menu(sandbox, "ru") == []
    assert main(["set"], _env(sandbox)) == 0
    printed = json.loads(capsys.readouterr().out)
    default, russian = _menu(sandbox, None), _menu(sandbox, "ru")
    names = [c["command"] for c in default]
    assert {"start", "help", "paysupport", "terms", "cancel", "language"} <= set(names)
    assert not {"menu", "imagine", "newavatar"} & set(names)  # aliases answer but are not advertised
    assert [c["command"] for c in russian] == names
    assert [c["description"] for c in default] == [text("en", f"command_{n}") for n in names]
    assert [c["description"] for c in russian] == [text("ru", f"command_{n}") for n in names]
    for code in ("uk", "be", "kk"):  # the bot answers these users in Russian: so does their menu
        assert _menu(sandbox, code) == russian
    assert _menu(sandbox, "de") == []  # a German client falls back to the default (English) list
    assert printed["commands"] == {"default": len(names), "ru": len(names), "uk": len(names), "be": len(names),
                                   "kk": len(names)}

    sandbox.core.state.commands.clear()
    assert main(["commands"], _env(sandbox)) == 0
    assert json.loads(capsys.readouterr().out) == {"commands": printed["commands"]}
    assert _menu(sandbox, "ru") == russian and _menu(sandbox, None) == default


def test_commands_against_an_unreachable_api_fails_with_one_line(sandbox: TelegramSandbox,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    env = {**_env(sandbox), "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    assert main(["commands"], env) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and sandbox.token not in err
    assert sandbox.core.state.commands == {}
