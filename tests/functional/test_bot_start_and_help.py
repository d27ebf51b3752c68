"""The start and help functions with recorded updates: greeting, menu, language, help, unknown input."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis

from tests.functional.conftest import Functions, button
from tests.functional.events import telegram_update
from tests.functional.handlers import catalogue, listed_commands


def test_start_registers_greets_and_shows_the_menu(functions: Functions) -> None:
    user = functions.new_user("en")
    answer = functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user)})
    assert answer == {"ok": True}
    greeting, menu = functions.sent(user)
    assert greeting["text"] == catalogue("en", "welcome", name="Ann", bonus=0)
    assert menu["text"] == catalogue("en", "menu_title", balance=0)
    for key in ("menu_avatar", "menu_generate", "menu_gallery", "menu_balance", "menu_language", "menu_help"):
        button(menu, "en", key)

    functions.call("bot_start", {"event_id": 2, "update": telegram_update("start", user)})
    back, menu_again = functions.sent(user, after=menu["message_id"])
    assert back["text"] == catalogue("en", "welcome_back", name="Ann")
    assert menu_again["text"] == menu["text"]


def test_a_russian_user_gets_the_russian_catalogue(functions: Functions) -> None:
    user = functions.new_user("ru")
    functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user, language="ru")})
    greeting, menu = functions.sent(user)
    assert greeting["text"] == catalogue("ru", "welcome", name="Ann", bonus=0)
    assert menu["text"] == catalogue("ru", "menu_title", balance=0)
    assert greeting["text"] != catalogue("en", "welcome", name="Ann", bonus=0)


def test_help_and_an_unsupported_update(functions: Functions) -> None:
    user = functions.new_user("en")
    functions.call("bot_help", {"event_id": 1, "update": telegram_update("command", user)})
    help_message = functions.last_sent(user)
    lines = "\n".join(f"/{name} — {catalogue('en', f'command_{name}')}" for name in listed_commands())
    assert help_message["text"] == catalogue("en", "help", training=150, image=5, commands=lines)
    button(help_message, "en", "button_menu")

    sticker = telegram_update("text", user)
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "CAACAgIAAxkBAAEBStickerId", "file_unique_id": "AgADSticker",
                                     "type": "regular", "width": 512, "height": 512, "is_animated": False,
                                     "is_video": False}
    functions.call("bot_help", {"event_id": 2, "update": sticker})
    assert functions.last_sent(user)["text"] == catalogue("en", "unsupported")


def test_messages_past_the_per_minute_limit_get_one_notice_then_silence(
        functions: Functions, monkeypatch: pytest.MonkeyPatch) -> None:
    from aisha.bot import context

    monkeypatch.setenv("RATE_LIMIT_MESSAGES_PER_MINUTE", "2")
    minute = 29_000_000  # one fixed minute: the count is per clock minute
    monkeypatch.setattr(context, "time", SimpleNamespace(time=lambda: minute * 60 + 1.0))
    user = functions.new_user("en")
    answers = [functions.call("bot_help", {"event_id": i, "update": telegram_update("command", user)})
               for i in range(1, 5)]
    assert answers == [{"ok": True}] * 2 + [{"ok": True, "rate_limited": True}] * 2
    texts = [m["text"] for m in functions.sent(user)]
    assert texts[2:] == [catalogue("en", "rate_limited")]  # two helps, then one notice for both refusals
    counter = f"aisha:rl:msg:{user}:{minute}"
    client = redis.Redis.from_url(functions.env["REDIS_URL"])
    try:
        assert client.get(counter) == b"4" and 0 < client.ttl(counter) <= 120  # it expires on its own
    finally:
        client.close()
