"""tg_webhook and tg_dispatch through their entry points: secret, journal, dedupe, 2xx for what cannot be
handled, and the queued chat drained into the bot function (in-process, through the Invoke API stand-in)."""

from __future__ import annotations

import json
from typing import Any

from tests.functional.conftest import Functions
from tests.functional.events import api_gateway_post, telegram_update
from tests.functional.handlers import catalogue, journal_rows

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _deliver(functions: Functions, update: dict[str, Any] | bytes, secret: str | None = None) -> dict[str, Any]:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {SECRET_HEADER: functions.env["TELEGRAM_WEBHOOK_SECRET"] if secret is None else secret}
    answer: dict[str, Any] = functions.call("tg_webhook", api_gateway_post("/webhook/telegram", body, headers))
    answer["json"] = json.loads(answer["body"])
    return answer


def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_journaled(functions: Functions) -> None:
    update = telegram_update("start", functions.new_user())
    for secret in ("wrong-secret", ""):
        answer = _deliver(functions, update, secret=secret)
        assert answer["statusCode"] == 401 and answer["json"]["error"] == "invalid_secret_token"
    assert journal_rows(functions.database_url, "telegram", str(update["update_id"])) == []
    assert {"chat_id": update["message"]["chat"]["id"]} not in functions.invoke_api.queued("tg_dispatch")


def test_an_update_is_journaled_queued_once_and_a_repeat_is_a_duplicate(functions: Functions) -> None:
    user = functions.new_user()
    update = telegram_update("text", user)
    first = _deliver(functions, update)
    assert first["statusCode"] == 200 and first["json"] == {"ok": True}
    rows = journal_rows(functions.database_url, "telegram", str(update["update_id"]))
    assert [(r["status"], r["signature"]) for r in rows] == [("received", "valid")]
    assert functions.invoke_api.queued("tg_dispatch").count({"chat_id": user}) == 1

    functions.call("tg_dispatch", {"chat_id": user})  # the queued Event, run here
    assert journal_rows(functions.database_url, "telegram", str(update["update_id"]))[0]["status"] == "processed"
    assert functions.last_sent(user)["text"] == catalogue("en", "menu_title", balance=0)  # via bot_start
    assert any(i.function == "bot_start" and i.kind == "RequestResponse" for i in functions.invoke_api.invocations)

    again = _deliver(functions, update)  # Telegram resends the same update_id
    assert again["statusCode"] == 200 and again["json"]["duplicate"] is True
    assert len(journal_rows(functions.database_url, "telegram", str(update["update_id"]))) == 1
    assert functions.invoke_api.queued("tg_dispatch").count({"chat_id": user}) == 1
    assert len(functions.sent(user)) == 2  # welcome and menu, once


def test_poison_gets_2xx_or_a_stable_4xx_and_is_journaled(functions: Functions) -> None:
    chatless = {"update_id": 1_900_000_000 + functions.new_user() % 10**8,
                "my_chat_member_without_chat": {"anything": True}}
    answer = _deliver(functions, chatless)
    assert answer["statusCode"] == 200 and answer["json"]["ok"] is True
    rows = journal_rows(functions.database_url, "telegram", str(chatless["update_id"]))
    assert [r["status"] for r in rows] == ["processed"] and rows[0]["error_code"] == "no_chat"

    malformed = _deliver(functions, b'{"update_id": "not a number"')
    assert malformed["statusCode"] == 400 and malformed["json"]["error"] == "malformed_update"
