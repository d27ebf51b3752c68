"""Milestones stay, steps move to the bottom, endings have their own words (issue 14), in English and
Russian: asserted on what the user sees in the Bot API stand-in (which messages exist, which were
edited, which buttons they carry) and on catalogue keys."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
import redis

from tests.functional.conftest import Functions, button
from tests.functional.events import api_gateway_post, fal_webhook, telegram_update
from tests.functional.handlers import catalogue, journal_rows

LANGUAGES = pytest.mark.parametrize("lang", ["en", "ru"])


def _records(functions: Functions, user: int) -> dict[int, dict[str, Any]]:
    """The bot's messages by id, each with its current `message` and its earlier versions (`edits`)."""
    return {m["message_id"]: m for m in functions.chat.messages(user, direction="out")}


def _press(functions: Functions, user: int, message: dict[str, Any], data: str, lang: str) -> dict[str, Any]:
    pressed = functions.chat.press(user, message["message_id"], data=data)
    return telegram_update("callback_query", user, language=lang, id=pressed["callback_query_id"], data=data,
                           message=message)


def _command(user: int, text: str, lang: str) -> dict[str, Any]:
    return telegram_update("command", user, language=lang, text=text,
                           entities=[{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}])


def _text(user: int, text: str, lang: str) -> dict[str, Any]:
    return telegram_update("text", user, language=lang, text=text)


def _call(functions: Functions, name: str, update: dict[str, Any]) -> None:
    assert functions.call(name, {"event_id": 1, "update": update})["ok"] is True


def _start(functions: Functions, lang: str) -> tuple[int, dict[str, Any]]:
    user = functions.new_user(lang)
    _call(functions, "bot_start", telegram_update("start", user, language=lang))
    return user, functions.last_sent(user)


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _menu_with(lang: str, prefix_key: str, balance: int = 0) -> str:
    return f"{catalogue(lang, prefix_key)}\n\n{catalogue(lang, 'menu_title', balance=balance)}"


def _paid(functions: Functions, user: int, lang: str, coins: int = 250) -> dict[str, Any]:
    update = telegram_update("successful_payment", user, language=lang)
    update["message"]["successful_payment"].update(invoice_payload=f"topup:{user}:{coins}:n0nce",
                                                   telegram_payment_charge_id=f"stxMilestone{user}")
    _call(functions, "bot_balance", update)
    return functions.last_sent(user)


@LANGUAGES
def test_the_payment_receipt_stays_when_its_buttons_are_used(functions: Functions, lang: str) -> None:
    user, _ = _start(functions, lang)
    receipt = _paid(functions, user, lang)
    assert receipt["text"] == catalogue(lang, "balance_paid", coins=250, balance=250)

    _call(functions, "bot_balance", _press(functions, user, receipt, button(receipt, lang, "balance_button_balance"),
                                           lang))
    balance = functions.last_sent(user)
    assert balance["message_id"] > receipt["message_id"]  # a new message at the bottom
    assert balance["text"] == catalogue(lang, "balance_title", balance=250, training=150, image=5)

    _call(functions, "bot_balance", _press(functions, user, balance, button(balance, lang, "balance_button_promo"),
                                           lang))
    seen = _records(functions, user)
    assert seen[balance["message_id"]]["message"]["text"] == catalogue(lang, "balance_promo_ask")  # the step, edited
    assert seen[receipt["message_id"]]["edits"] == []  # the receipt was never touched
    assert seen[receipt["message_id"]]["message"]["text"] == receipt["text"]
    assert max(seen) == balance["message_id"]


@LANGUAGES
def test_a_redeemed_promo_code_stays_and_its_buttons_open_new_messages(functions: Functions, lang: str) -> None:
    user, _ = _start(functions, lang)
    code = f"MS{user}"
    with psycopg.connect(functions.database_url) as conn:
        conn.execute("INSERT INTO promo_codes (code, kind, value, per_user_limit) VALUES (%s, 'coins', 40, 1)",
                     (code,))
    _call(functions, "bot_balance", _command(user, "/promo", lang))
    ask = functions.last_sent(user)
    assert ask["text"] == catalogue(lang, "balance_promo_ask") and _buttons(ask) == ["balance:show"]
    _call(functions, "bot_balance", _text(user, code, lang))
    redeemed = functions.last_sent(user)
    assert redeemed["text"] == catalogue(lang, "balance_promo_coins", code=code, coins=40, balance=40)
    assert _buttons(_records(functions, user)[ask["message_id"]]["message"]) == []  # its Cancel is gone

    _call(functions, "bot_start", _press(functions, user, redeemed, button(redeemed, lang, "button_menu"), lang))
    menu = functions.last_sent(user)
    assert menu["message_id"] > redeemed["message_id"]
    assert menu["text"] == catalogue(lang, "menu_title", balance=40)
    assert _records(functions, user)[redeemed["message_id"]]["edits"] == []


@LANGUAGES
def test_a_button_on_an_older_message_continues_at_the_bottom(functions: Functions, lang: str) -> None:
    user, menu = _start(functions, lang)
    _call(functions, "bot_balance", _command(user, "/balance", lang))
    balance = functions.last_sent(user)

    _call(functions, "bot_gallery", _press(functions, user, menu, button(menu, lang, "menu_gallery"), lang))
    gallery = functions.last_sent(user)
    assert gallery["message_id"] > balance["message_id"]
    assert gallery["text"] == catalogue(lang, "gal_avatars_empty")
    seen = _records(functions, user)
    assert seen[menu["message_id"]]["edits"] == [] and seen[balance["message_id"]]["edits"] == []

    # the newest message is the live step: its button edits it in place
    _call(functions, "bot_start", _press(functions, user, gallery, button(gallery, lang, "button_menu"), lang))
    seen = _records(functions, user)
    assert max(seen) == gallery["message_id"]
    assert seen[gallery["message_id"]]["message"]["text"] == catalogue(lang, "menu_title", balance=0)
    assert len(seen[gallery["message_id"]]["edits"]) == 1


def _to_gender(functions: Functions, lang: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """/start, Create an avatar (the menu becomes the name question), a name: (user, name question, gender)."""
    user, menu = _start(functions, lang)
    _call(functions, "bot_avatar", _press(functions, user, menu, button(menu, lang, "menu_avatar"), lang))
    ask_name = _records(functions, user)[menu["message_id"]]["message"]
    assert ask_name["text"] == catalogue(lang, "avatar_ask_name")
    _call(functions, "bot_avatar", _text(user, "Mila", lang))
    gender = functions.last_sent(user)
    assert gender["text"] == catalogue(lang, "avatar_ask_gender", name="Mila")
    return user, ask_name, gender


@LANGUAGES
def test_an_old_button_after_cancel_says_cancelled_not_expired(functions: Functions, lang: str) -> None:
    user, ask_name, gender = _to_gender(functions, lang)
    _call(functions, "bot_help", _command(user, "/cancel", lang))
    cancelled = functions.last_sent(user)
    assert cancelled["text"] == _menu_with(lang, "cancelled")
    assert _records(functions, user)[gender["message_id"]]["message"].get("reply_markup") is None  # buttons gone

    # the name question up the chat still has its Cancel button
    _call(functions, "bot_avatar", _press(functions, user, ask_name, button(ask_name, lang, "button_cancel"), lang))
    answer = functions.last_sent(user)
    assert answer["message_id"] > cancelled["message_id"]
    assert answer["text"] == _menu_with(lang, "session_cancelled")
    assert answer["text"] != _menu_with(lang, "session_expired")


@LANGUAGES
def test_an_old_button_after_the_conversation_timed_out_says_expired(functions: Functions, lang: str) -> None:
    user, _, gender = _to_gender(functions, lang)
    redis.Redis.from_url(functions.env["REDIS_URL"]).delete(f"aisha:chat:{user}:state")  # the TTL ran out
    data = button(gender, lang, "avatar_gender_female")
    _call(functions, "bot_avatar", _press(functions, user, gender, data, lang))
    answer = functions.last_sent(user)
    assert answer["message_id"] > gender["message_id"]
    assert answer["text"] == _menu_with(lang, "session_expired")


@LANGUAGES
def test_a_button_of_an_earlier_conversation_leaves_the_running_one_alone(functions: Functions, lang: str) -> None:
    user, _ = _start(functions, lang)
    _call(functions, "bot_generate", _command(user, "/generate", lang))
    choose = functions.last_sent(user)
    _call(functions, "bot_avatar", _command(user, "/avatar", lang))
    ask_name = functions.last_sent(user)
    assert ask_name["text"] == catalogue(lang, "avatar_ask_name")

    pressed = functions.chat.press(user, choose["message_id"], data="gen:avatar:none")
    update = telegram_update("callback_query", user, language=lang, id=pressed["callback_query_id"],
                             data="gen:avatar:none", message=choose)
    _call(functions, "bot_generate", update)
    answer = functions.chat.callback_query(pressed["callback_query_id"], wait=10)["answer"]
    assert answer["text"] == catalogue(lang, "button_outdated")
    assert max(_records(functions, user)) == ask_name["message_id"]  # nothing new, nothing edited
    _call(functions, "bot_avatar", _text(user, "Mila", lang))  # the avatar conversation goes on
    assert functions.last_sent(user)["text"] == catalogue(lang, "avatar_ask_gender", name="Mila")


@LANGUAGES
def test_buttons_of_an_avatar_that_went_to_training_say_what_to_do_now(functions: Functions, lang: str) -> None:
    user, _ = _start(functions, lang)
    with psycopg.connect(functions.database_url) as conn:
        row = conn.execute("INSERT INTO avatars (user_id, name, gender, training_type, preset, trigger_phrase, status) "
                           "VALUES (%s, 'Mila', 'female', 'portrait', 'fast', %s, 'photos_uploading') RETURNING id",
                           (user, f"ms{user}")).fetchone()
    assert row is not None
    avatar_id = row[0]
    _call(functions, "bot_gallery", _command(user, "/avatars", lang))
    listing = functions.last_sent(user)
    _call(functions, "bot_gallery", _press(functions, user, listing, f"gallery:avatar:{avatar_id}", lang))
    card = functions.last_sent(user)
    resume = button(card, lang, "gal_button_continue")

    with psycopg.connect(functions.database_url) as conn:  # meanwhile its training started elsewhere
        conn.execute("UPDATE avatars SET status = 'training' WHERE id = %s", (avatar_id,))
    _call(functions, "bot_avatar", _press(functions, user, card, resume, lang))
    answer = functions.last_sent(user)
    assert answer["text"] == catalogue(lang, "avatar_closed_training", name="Mila")
    assert _buttons(answer) == [f"avatar:status:{avatar_id}", "menu:show"]
    assert answer["text"] != catalogue(lang, "avatar_locked")

    with psycopg.connect(functions.database_url) as conn:
        conn.execute("UPDATE avatars SET status = 'completed', lora_key = 'k' WHERE id = %s", (avatar_id,))
    _call(functions, "bot_avatar", _press(functions, user, card, resume, lang))
    ready = functions.last_sent(user)
    assert ready["message_id"] > answer["message_id"]
    assert ready["text"] == catalogue(lang, "avatar_closed_completed", name="Mila")
    assert _buttons(ready) == [f"generate:{avatar_id}", "menu:show"]


@LANGUAGES
def test_a_refund_message_ends_the_live_step_so_the_next_press_comes_below_it(functions: Functions,
                                                                              lang: str) -> None:
    user, menu = _start(functions, lang)
    refund = _training_fails(functions, user)
    assert refund["text"] == catalogue(lang, "avatar_failed", name="Mila", reason=catalogue(lang, "reason_unknown"),
                                       coins=150)
    assert _buttons(refund) == ["avatar:new"]  # what to do now

    _call(functions, "bot_balance", _press(functions, user, menu, button(menu, lang, "menu_balance"), lang))
    balance = functions.last_sent(user)
    assert balance["message_id"] > refund["message_id"]  # below the refund, not over the menu up the chat
    assert balance["text"] == catalogue(lang, "balance_title", balance=150, training=150, image=5)
    seen = _records(functions, user)
    assert seen[menu["message_id"]]["edits"] == [] and seen[refund["message_id"]]["edits"] == []


@LANGUAGES
def test_cancel_takes_the_buttons_off_the_step_even_below_a_milestone(functions: Functions, lang: str) -> None:
    user, _, gender = _to_gender(functions, lang)
    refund = _training_fails(functions, user)  # another avatar's training fails meanwhile
    _call(functions, "bot_help", _command(user, "/cancel", lang))
    seen = _records(functions, user)
    assert seen[gender["message_id"]]["message"].get("reply_markup") is None
    assert seen[refund["message_id"]]["message"]["reply_markup"] == refund["reply_markup"]  # a milestone: as sent
    assert functions.last_sent(user)["text"] == _menu_with(lang, "cancelled", balance=150)


def _training_fails(functions: Functions, user: int) -> dict[str, Any]:
    """A charged training of avatar Mila that FAL reports failed: processed, refunded; the message sent."""
    request_id = str(uuid.uuid4())
    with psycopg.connect(functions.database_url) as conn:
        conn.execute("INSERT INTO ledger_entries (user_id, amount, kind) VALUES (%s, 150, 'topup')", (user,))
        charge = conn.execute("INSERT INTO ledger_entries (user_id, amount, kind) VALUES (%s, -150, 'charge') "
                              "RETURNING id", (user,)).fetchone()
        assert charge is not None
        conn.execute("INSERT INTO avatars (user_id, name, gender, training_type, preset, trigger_phrase, status, "
                     "fal_request_id, training_charge_id) VALUES (%s, 'Mila', 'female', 'portrait', 'fast', %s, "
                     "'training', %s, %s)", (user, f"mr{request_id}", request_id, charge[0]))
    body = fal_webhook("error", request_id)
    answer = functions.call("fal_webhook_portrait", api_gateway_post("/webhook/fal/portrait", body,
                                                                     functions.fal_keys.headers(request_id, body)))
    assert answer["statusCode"] == 200
    event_id = journal_rows(functions.database_url, "fal", request_id)[0]["id"]
    assert functions.call("fal_process_training", {"event_id": event_id})["outcome"] == "processed"
    return functions.last_sent(user)


@LANGUAGES
def test_cancel_on_a_regenerate_order_cancels_that_order(functions: Functions, lang: str) -> None:
    user, _ = _start(functions, lang)
    with psycopg.connect(functions.database_url) as conn:
        conn.execute("INSERT INTO ledger_entries (user_id, amount, kind) VALUES (%s, 50, 'topup')", (user,))
        row = conn.execute("INSERT INTO generations (user_id, prompt, num_images, status, cost) "
                           "VALUES (%s, 'a fox', 1, 'completed', 5) RETURNING id", (user,)).fetchone()
    assert row is not None
    generation_id = row[0]
    _call(functions, "bot_gallery", _command(user, "/images", lang))
    listing = functions.last_sent(user)
    _call(functions, "bot_gallery", _press(functions, user, listing, f"gallery:image:{generation_id}", lang))
    card = functions.last_sent(user)
    _call(functions, "bot_gallery", _press(functions, user, card, f"gallery:regen:{generation_id}", lang))
    order = _records(functions, user)[card["message_id"]]["message"]  # the card (the live step), edited
    assert _buttons(order) == [f"gallery:regen_ok:{generation_id}", "cancel:gallery"]

    _call(functions, "bot_help", _press(functions, user, order, "cancel:gallery", lang))
    cancelled = _records(functions, user)[card["message_id"]]["message"]
    assert cancelled["text"] == _menu_with(lang, "cancelled", balance=50)
    assert max(_records(functions, user)) == card["message_id"]
