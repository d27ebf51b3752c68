"""The user's language and the commands, in both languages: language_code mapped at registration, the
language switched in the menu, style presets shown in the user's language (FAL still gets the English
prompt), unknown commands answered with the command list, /help, /paysupport and /terms."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.functional.conftest import Functions, button
from tests.functional.events import telegram_update
from tests.functional.handlers import catalogue, listed_commands, reset_worker_state, style_prompt


def _command(user: int, text: str, language: str) -> dict[str, Any]:
    name_length = len(text.split()[0])
    return telegram_update("command", user, language=language, text=text,
                           entities=[{"offset": 0, "length": name_length, "type": "bot_command"}])


def _press(functions: Functions, user: int, message: dict[str, Any], data: str, language: str) -> dict[str, Any]:
    pressed = functions.chat.press(user, message["message_id"], data=data)
    return telegram_update("callback_query", user, language=language, id=pressed["callback_query_id"], data=data,
                           message=message)


def _command_lines(language: str) -> str:
    return "\n".join(f"/{name} — {catalogue(language, f'command_{name}')}" for name in listed_commands())


@pytest.mark.parametrize(("language_code", "language"), [
    ("ru", "ru"), ("uk", "ru"), ("be", "ru"), ("kk", "ru"), ("ru-RU", "ru"),
    ("en", "en"), ("de", "en"), ("es", "en"), ("pt-br", "en"), ("", "en"),
])
def test_the_language_code_picks_the_catalogue(functions: Functions, language_code: str, language: str) -> None:
    user = functions.new_user(language_code or "en")
    functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user, language=language_code)})
    greeting, menu = functions.sent(user)
    assert greeting["text"] == catalogue(language, "welcome", name="Ann", bonus=0)
    assert menu["text"] == catalogue(language, "menu_title", balance=0)


def test_the_language_is_switched_in_the_menu_and_kept(functions: Functions) -> None:
    user = functions.new_user("ru")
    functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user, language="ru")})
    menu = functions.last_sent(user)
    functions.call("bot_start", {"event_id": 2, "update": _press(functions, user, menu,
                                                                   button(menu, "ru", "menu_language"), "ru")})
    chooser = functions.last_sent(user)
    assert chooser["text"] == catalogue("ru", "choose_language")
    # each language is named in itself, whatever the user's language
    assert button(chooser, "ru", "language_name") == "lang:set:ru"
    english = button(chooser, "en", "language_name")
    functions.call("bot_start", {"event_id": 3, "update": _press(functions, user, chooser, english, "ru")})
    switched = functions.last_sent(user)
    assert switched["text"] == f"{catalogue('en', 'language_set')}\n\n{catalogue('en', 'menu_title', balance=0)}"
    button(switched, "en", "menu_help")
    # and this chat's command menu follows the choice, whatever the client's language
    assert functions.telegram.core.state.commands[f"chat@{user}:"] == [
        {"command": name, "description": catalogue("en", f"command_{name}")} for name in listed_commands()]

    # Telegram still says "ru": the choice wins over the client's language from now on
    functions.call("bot_help", {"event_id": 4, "update": _command(user, "/help", "ru")})
    assert functions.last_sent(user)["text"] == catalogue("en", "help", training=150, image=5,
                                                           commands=_command_lines("en"))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_help_lists_the_commands(functions: Functions, language: str) -> None:
    user = functions.new_user(language)
    functions.call("bot_help", {"event_id": 1, "update": _command(user, "/help", language)})
    shown = functions.last_sent(user)
    assert shown["text"] == catalogue(language, "help", training=150, image=5, commands=_command_lines(language))
    for name in ("start", "avatar", "generate", "gallery", "balance", "cancel", "paysupport", "terms"):
        assert f"/{name} — {catalogue(language, f'command_{name}')}" in shown["text"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_unknown_command_is_named_with_the_list(functions: Functions, language: str) -> None:
    user = functions.new_user(language)
    functions.call("bot_help", {"event_id": 1, "update": _command(user, "/foo@aisha_bot bar", language)})
    answer = functions.last_sent(user)["text"]
    assert answer == catalogue(language, "unknown_command", command="foo", commands=_command_lines(language))
    assert answer != catalogue(language, "unsupported")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_paysupport_and_terms_name_the_configured_contact(functions: Functions, language: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    user = functions.new_user(language)
    functions.call("bot_help", {"event_id": 1, "update": _command(user, "/paysupport", language)})
    default = catalogue(language, "support_contact_default")
    assert functions.last_sent(user)["text"] == catalogue(language, "paysupport", contact=default)

    monkeypatch.setenv("SUPPORT_CONTACT", "@aisha_help_desk")
    reset_worker_state()  # a worker started with the contact configured
    functions.call("bot_help", {"event_id": 2, "update": _command(user, "/paysupport", language)})
    support = functions.last_sent(user)
    assert support["text"] == catalogue(language, "paysupport", contact="@aisha_help_desk")
    button(support, language, "button_menu")
    functions.call("bot_help", {"event_id": 3, "update": _command(user, "/terms", language)})
    terms = functions.last_sent(user)["text"]
    assert terms == catalogue(language, "terms", contact="@aisha_help_desk") and "@aisha_help_desk" in terms


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_style_preset_is_shown_in_the_users_language(functions: Functions, language: str) -> None:
    user = functions.new_user(language)
    functions.call("bot_generate", {"event_id": 1, "update": _command(user, "/generate", language)})
    avatars = functions.last_sent(user)
    no_avatar = button(avatars, language, "gen_without_avatar")
    functions.call("bot_generate", {"event_id": 2, "update": _press(functions, user, avatars, no_avatar, language)})
    styles = functions.last_sent(user)
    fantasy = button(styles, language, "gen_style_fantasy")
    functions.call("bot_generate", {"event_id": 3, "update": _press(functions, user, styles, fantasy, language)})
    sizes = functions.last_sent(user)
    shown = catalogue(language, "gen_style_fantasy_prompt")
    assert sizes["text"] == catalogue(language, "gen_choose_size", prompt=shown)
    if language == "ru":
        assert style_prompt("fantasy") not in sizes["text"]  # the English prompt is FAL's, not the user's
    square = button(sizes, language, "gen_size_square_hd")
    functions.call("bot_generate", {"event_id": 4, "update": _press(functions, user, sizes, square, language)})
    counts = functions.last_sent(user)
    functions.call("bot_generate", {"event_id": 5, "update": _press(functions, user, counts, "gen:count:1",
                                                                      language)})
    summary = functions.last_sent(user)
    assert summary["text"] == catalogue(language, "gen_summary", avatar=catalogue(language, "gen_no_avatar_label"),
                                        prompt=shown, size=catalogue(language, "gen_size_square_hd"), count=1,
                                        total=5, discount="", balance=0)


def test_the_gallery_lists_a_style_preset_in_russian(functions: Functions) -> None:
    user = functions.new_user("ru")
    functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user, language="ru")})
    with psycopg.connect(functions.database_url) as conn:  # a finished generation of the "street" preset
        conn.execute("INSERT INTO generations (user_id, prompt, num_images, cost, status) "
                     "VALUES (%s, %s, 1, 5, 'completed')", (user, style_prompt("street")))
    functions.call("bot_gallery", {"event_id": 2, "update": _command(user, "/images", "ru")})
    listing = functions.last_sent(user)
    shown = catalogue("ru", "gen_style_street_prompt")
    assert shown[:20] in listing["text"] and style_prompt("street")[:20] not in listing["text"]
    labels = [b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    assert any(label.startswith(f"1. {shown[:20]}") for label in labels)


def test_the_switch_holds_when_the_chats_command_menu_cannot_be_set(functions: Functions) -> None:
    user = functions.new_user("en")
    functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user)})
    menu = functions.last_sent(user)
    functions.call("bot_start", {"event_id": 2, "update": _press(functions, user, menu,
                                                                   button(menu, "en", "menu_language"), "en")})
    chooser = functions.last_sent(user)
    fault = functions.telegram.core.add_fault(400, method="setMyCommands", description="Bad Request: injected")
    answer = functions.call("bot_start", {"event_id": 3, "update": _press(
        functions, user, chooser, button(chooser, "ru", "language_name"), "en")})
    assert answer == {"ok": True}
    assert functions.last_sent(user)["text"] == (f"{catalogue('ru', 'language_set')}\n\n"
                                                 f"{catalogue('ru', 'menu_title', balance=0)}")
    assert fault.remaining == 0 and f"chat@{user}:" not in functions.telegram.core.state.commands


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_unrecognised_payment_names_the_support_contact(functions: Functions, language: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    user = functions.new_user(language)
    paid = telegram_update("successful_payment", user, language=language)
    paid["message"]["successful_payment"].update(invoice_payload="topup:1:250:unknown",
                                                 telegram_payment_charge_id=f"stxUnknown{user}")
    functions.call("bot_balance", {"event_id": 1, "update": paid})
    default = catalogue(language, "support_contact_default")
    assert functions.last_sent(user)["text"] == catalogue(language, "balance_paid_unknown", contact=default)

    monkeypatch.setenv("SUPPORT_CONTACT", "support@aisha.example")
    reset_worker_state()
    functions.call("bot_balance", {"event_id": 2, "update": {**paid, "update_id": paid["update_id"] + 1}})
    answer = functions.last_sent(user)["text"]
    assert answer == catalogue(language, "balance_paid_unknown", contact="support@aisha.example")
    assert "support@aisha.example" in answer
