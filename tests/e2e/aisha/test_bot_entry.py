"""The Telegram entry through the runner: the stand-in delivers a user's updates to /webhook/telegram,
the dispatcher hands them to bot_start / bot_help in order, replies arrive in the stand-in's chat."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from typing import Any

import psycopg
import redis
from aisha.services import chat_queue
from telegram import Chat, Message, Update, User

from tests import web
from tests.e2e.aisha.bot_kit import buttons, invoke, message, new_chat, wait_for

BOT_TIMEOUT = 20


def _chat(stack: Any, language: str = "ru") -> int:
    return new_chat(stack, "Lena", language)


def _journal(stack: Any, update_id: int) -> list[tuple[str, ...]]:
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT status FROM webhook_events WHERE provider = 'telegram' AND delivery_key = %s",
                            (str(update_id),)).fetchall()


def test_start_registers_and_shows_the_menu_then_language_switches(stack: Any) -> None:
    chat_id = _chat(stack)
    stack.chat.send_text(chat_id, "/start")
    welcome, menu = (m["message"] for m in stack.chat.wait_bot_messages(chat_id, count=2, timeout=BOT_TIMEOUT))
    assert "Lena" in welcome["text"] and "Привет" in welcome["text"]
    assert "Главное меню" in menu["text"]
    assert buttons(menu) == ["avatar:new", "gen:new", "gallery:avatars:0", "balance:show", "lang:choose",
                              "help:show"]
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT language FROM users WHERE id = %s", (chat_id,)).fetchone() == ("ru",)

    stack.chat.press(chat_id, menu["message_id"], data="lang:choose")
    wait_for(lambda: "lang:set:en" in buttons(message(stack, chat_id, menu["message_id"])), BOT_TIMEOUT)
    stack.chat.press(chat_id, menu["message_id"], data="lang:set:en")
    wait_for(lambda: "Main menu" in message(stack, chat_id, menu["message_id"]).get("text", ""), BOT_TIMEOUT)
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT language FROM users WHERE id = %s", (chat_id,)).fetchone() == ("en",)


def test_help_cancel_and_updates_of_one_chat_in_order(stack: Any) -> None:
    chat_id = _chat(stack, "en")
    for text in ("/help", "/cancel", "/help"):
        stack.chat.send_text(chat_id, text)
    replies = [m["message"]["text"] for m in stack.chat.wait_bot_messages(chat_id, count=3, timeout=BOT_TIMEOUT)]
    assert replies[0].startswith("I train a personal avatar")
    assert replies[1].startswith("There is nothing to cancel")
    assert replies[2].startswith("I train a personal avatar")


def _update(chat_id: int, update_id: int, text: str) -> dict[str, Any]:
    user = User(id=chat_id, first_name="Max", is_bot=False, language_code="en")
    message = Message(message_id=update_id % 100000, date=dt.datetime.now(dt.UTC), text=text, from_user=user,
                      chat=Chat(id=chat_id, type="private"))
    return Update(update_id=update_id, message=message).to_dict()


def test_the_secret_is_required_and_a_repeated_update_has_one_effect(stack: Any) -> None:
    chat_id = _chat(stack, "en")
    update_id = random.randint(10**9, 2 * 10**9)
    body = json.dumps(_update(chat_id, update_id, "/help")).encode()
    url = f"{stack.url}/webhook/telegram"
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret"}):
        refused = web.post(url, content=body, headers={"Content-Type": "application/json", **headers})
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_secret_token"
    assert _journal(stack, update_id) == []

    good = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
    first = web.post(url, content=body, headers=good)
    second = web.post(stack.urls[1] + "/webhook/telegram", content=body, headers=good)
    assert (first.status_code, second.status_code) == (200, 200)
    # the repeat is acknowledged; if it came while the first still waited in the chat's queue it is queued
    # again, and the dispatcher, seeing the first handled, skips it: one effect either way
    assert second.json()["ok"] is True
    calls = stack.chat.calls("sendMessage", chat_id=chat_id, wait=BOT_TIMEOUT)
    _until_journal(stack, update_id, "processed")
    # both posts queued what they queued before answering; once the chat's list is empty and no
    # dispatcher holds its lock, every drain is over: a second, wrong reply would have been sent
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    try:
        wait_for(lambda: chat_queue.pending(client, chat_id) == 0
                 and not client.exists(f"aisha:chatq:{chat_id}:lock"), what="the chat's queue drained")
    finally:
        client.close()
    assert len(stack.chat.calls("sendMessage", chat_id=chat_id)) == len(calls) == 1


def test_a_malformed_update_is_refused_and_journaled(stack: Any) -> None:
    good = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
    response = web.post(f"{stack.url}/webhook/telegram", content=b'{"update_id": "seven"', headers=good)
    assert response.status_code == 400 and response.json()["error"] == "malformed_update"


def test_an_update_whose_dispatcher_died_is_handled_by_the_sweep_then_parked_if_it_never_finishes(
    stack: Any,
) -> None:
    chat_id = _chat(stack, "en")
    update_id = random.randint(10**9, 2 * 10**9)
    body = json.dumps(_update(chat_id, update_id, "/help"))
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:  # journaled, then its dispatcher was killed
        conn.execute("INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, body, signature, "
                     "status, processing_attempts, last_seen_at) VALUES ('telegram', '/webhook/telegram', %s, %s, "
                     "%s, 'valid', 'processing', 1, now() - interval '1 hour')",
                     (str(update_id), str(update_id), body.encode()))
    # the sweep requeues it: this invocation, or the scheduled one (every 5 minutes) if it came first, in
    # which case this one finds nothing left to requeue; the reply is what says the sweep worked
    invoke(stack, "fal_reconcile")
    reply = stack.chat.wait_bot_messages(chat_id, timeout=BOT_TIMEOUT)[0]["message"]["text"]
    assert reply.startswith("I train a personal avatar")
    _until_journal(stack, update_id, "processed")  # marked once the handler's answer is back

    poison = update_id + 1
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:  # killed mid-handling three times already
        conn.execute("INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, body, signature, "
                     "status, processing_attempts, last_seen_at) VALUES ('telegram', '/webhook/telegram', %s, %s, "
                     "%s, 'valid', 'processing', 3, now() - interval '1 hour')",
                     (str(poison), str(poison), json.dumps(_update(chat_id, poison, "/help")).encode()))
    invoke(stack, "fal_reconcile")
    _until_journal(stack, poison, "parked")


def _until_journal(stack: Any, update_id: int, status: str) -> None:
    deadline = time.monotonic() + BOT_TIMEOUT
    while _journal(stack, update_id) != [(status,)]:
        assert time.monotonic() < deadline, _journal(stack, update_id)
        time.sleep(0.1)
