"""The balance flow through the runner: balance and history, promo codes, a Telegram Stars top-up from
invoice to credit, a payment delivered twice (credited once), a tampered pre-checkout refused."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from aisha.bot.state import ChatState, clear_state, load_state, save_state
from aisha.db import Database
from aisha.models import LedgerKind, PromoKind
from aisha.services import ledger, promo
from telegram import Chat, Message, SuccessfulPayment, Update, User

from tests import web
from tests.e2e.aisha.bot_kit import buttons, message, new_chat

BOT_TIMEOUT = 40


@pytest.fixture
def database(stack: Any) -> Iterator[Database]:
    db = Database(stack.env["DATABASE_URL"])
    yield db
    db.close()


def _chat(stack: Any, language: str = "ru") -> int:
    return new_chat(stack, "Oleg", language)


def _say(stack: Any, chat_id: int, text: str) -> dict[str, Any]:
    """Send a text and return the bot's next message."""
    last = max((m["message_id"] for m in stack.chat.messages(chat_id)), default=0)
    stack.chat.send_text(chat_id, text)
    return stack.chat.wait_bot_messages(chat_id, after=last + 1, timeout=BOT_TIMEOUT)[0]


def _balance(database: Database, chat_id: int) -> int:
    with database.transaction() as conn:
        return ledger.balance(conn, chat_id)


def _post(stack: Any, update: dict[str, Any], url: str | None = None) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
    return web.post(f"{url or stack.url}/webhook/telegram", json=update, headers=headers, timeout=30)


def test_balance_and_history_with_pages(stack: Any, database: Database, waiter: Any) -> None:
    chat_id = _chat(stack, "en")
    shown = _say(stack, chat_id, "/balance")
    assert "Your balance: 0 coins" in shown["message"]["text"]
    assert buttons(shown["message"]) == ["balance:topup", "balance:history:0", "balance:promo", "menu:show"]

    with database.transaction() as conn:
        ledger.credit(conn, chat_id, 250, LedgerKind.TOPUP, reason="test")
        for number in range(11):
            ledger.charge(conn, chat_id, 5, reason=f"image {number}")
    stack.chat.press(chat_id, shown["message_id"], data="balance:history:0")
    page = waiter(lambda: "page 1" in (m := message(stack, chat_id, shown["message_id"])).get("text", "") and m,
                  BOT_TIMEOUT, what="history page 1")
    assert page["text"].count("charge · -5") == 10 and "top-up" not in page["text"]
    assert "balance:history:1" in buttons(page)

    stack.chat.press(chat_id, shown["message_id"], data="balance:history:1")
    older = waiter(lambda: "page 2" in (m := message(stack, chat_id, shown["message_id"])).get("text", "") and m,
                   BOT_TIMEOUT, what="history page 2")
    assert "top-up · +250" in older["text"] and older["text"].count("charge · -5") == 1
    assert "balance:history:0" in buttons(older) and "balance:history:2" not in buttons(older)

    stack.chat.press(chat_id, shown["message_id"], data="balance:show")
    waiter(lambda: "Your balance: 195 coins" in message(stack, chat_id, shown["message_id"]).get("text", ""),
           BOT_TIMEOUT, what="balance after history")


def test_a_promo_code_is_redeemed_once_and_refusals_say_why(stack: Any, database: Database, waiter: Any) -> None:
    chat_id = _chat(stack)
    code = f"GIFT{uuid.uuid4().hex[:6]}".upper()
    bonus_code = f"MORE{uuid.uuid4().hex[:6]}".upper()
    with database.transaction() as conn:
        promo.create(conn, code, PromoKind.COINS, 100)
        promo.create(conn, bonus_code, PromoKind.BONUS_PERCENT, 20)
        promo.create(conn, f"{bonus_code}OFF", PromoKind.DISCOUNT_PERCENT, 15)
        promo.create(conn, f"{code}OLD", PromoKind.COINS, 100,
                     valid_until=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))

    shown = _say(stack, chat_id, "/balance")
    stack.chat.press(chat_id, shown["message_id"], data="balance:promo")
    waiter(lambda: "промокод" in message(stack, chat_id, shown["message_id"]).get("text", ""), BOT_TIMEOUT,
           what="promo question")
    answer = _say(stack, chat_id, code.lower())  # typed as free text, any case
    assert f"Промокод {code} активирован: +100 монет. Баланс: 100 монет." in answer["message"]["text"]
    assert _balance(database, chat_id) == 100

    again = _say(stack, chat_id, f"/promo {code}")
    assert f"Вы уже использовали промокод {code}" in again["message"]["text"]
    expired = _say(stack, chat_id, f"/promo {code}OLD")
    assert "истёк" in expired["message"]["text"]
    unknown = _say(stack, chat_id, "/promo NOSUCHCODE")
    assert "не найден" in unknown["message"]["text"]
    bonus = _say(stack, chat_id, f"/promo {bonus_code}")
    assert "бонус 20% к следующему пополнению" in bonus["message"]["text"]
    discount = _say(stack, chat_id, f"/promo {bonus_code}off")
    assert "скидка 15% на следующую покупку" in discount["message"]["text"]
    assert _balance(database, chat_id) == 100


def _invoice(stack: Any, chat_id: int) -> dict[str, Any]:
    shown = _say(stack, chat_id, "/topup")
    assert buttons(shown["message"])[:3] == ["balance:buy:250", "balance:buy:500", "balance:buy:1000"]
    stack.chat.press(chat_id, shown["message_id"], data="balance:buy:500")
    invoice = stack.chat.wait_bot_messages(chat_id, after=shown["message_id"], timeout=BOT_TIMEOUT)[0]
    assert invoice["message"]["invoice"]["currency"] == "XTR"
    assert invoice["message"]["invoice"]["total_amount"] == 90
    return invoice


def _payment_update(chat_id: int, payment: dict[str, Any]) -> dict[str, Any]:
    user = User(id=chat_id, first_name="Oleg", is_bot=False, language_code="ru")
    paid = SuccessfulPayment(currency="XTR", total_amount=payment["invoice"]["total_amount"],
                             invoice_payload=payment["invoice_payload"], provider_payment_charge_id="",
                             telegram_payment_charge_id=payment["telegram_payment_charge_id"])
    message = Message(message_id=random.randint(10**5, 10**6), date=dt.datetime.now(dt.UTC), successful_payment=paid,
                      from_user=user, chat=Chat(id=chat_id, type="private"))
    return Update(update_id=random.randint(10**9, 2 * 10**9), message=message).to_dict()


def _flood(stack: Any, chat_id: int) -> None:
    """Spend the user's message allowance for this minute and the next."""
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    minute = int(time.time() // 60)
    for key in (f"aisha:rl:msg:{chat_id}:{minute}", f"aisha:rl:msg:{chat_id}:{minute + 1}"):
        client.set(key, 10_000, ex=180)
    client.close()


def test_a_stars_top_up_is_credited_once_with_the_bonus(stack: Any, database: Database) -> None:
    chat_id = _chat(stack)
    bonus_code = f"PLUS{uuid.uuid4().hex[:6]}".upper()
    with database.transaction() as conn:
        promo.create(conn, bonus_code, PromoKind.BONUS_PERCENT, 10)
    assert "бонус 10%" in _say(stack, chat_id, f"/promo {bonus_code}")["message"]["text"]

    invoice = _invoice(stack, chat_id)
    _flood(stack, chat_id)  # over the message limit: payments still go through
    checkout = stack.chat.pay(chat_id, invoice["message_id"])
    payment = stack.chat.payment(checkout["id"], wait=BOT_TIMEOUT)
    assert payment["status"] == "paid", payment
    assert payment["invoice_payload"].startswith(f"topup:{chat_id}:500:")
    answered = stack.chat.calls("answerPreCheckoutQuery", wait=BOT_TIMEOUT)
    assert any(c["params"]["pre_checkout_query_id"] == checkout["id"] and c["params"]["ok"] in (True, "true")
               for c in answered)
    receipt = stack.chat.wait_bot_messages(chat_id, after=invoice["message_id"] + 1, timeout=BOT_TIMEOUT)[0]
    assert "Оплата получена: +500 монет и бонус +50. Баланс: 550 монет." in receipt["message"]["text"]
    assert _balance(database, chat_id) == 550

    # the same successful_payment delivered again (a new update, and the webhook's own duplicate)
    update = _payment_update(chat_id, payment)
    assert _post(stack, update).status_code == 200
    again = stack.chat.wait_bot_messages(chat_id, after=receipt["message_id"], timeout=BOT_TIMEOUT)[0]
    assert "уже зачислен. Баланс: 550 монет." in again["message"]["text"]
    # resent once it was handled (a resend of an update still waiting for the bot is queued again, by design)
    assert _post(stack, update, stack.urls[1]).json().get("duplicate") is True
    assert _balance(database, chat_id) == 550
    with database.transaction() as conn:
        entries = ledger.history(conn, chat_id)
    keys = [e.idempotency_key for e in entries if e.kind in (LedgerKind.TOPUP, LedgerKind.BONUS)]
    charge = payment["telegram_payment_charge_id"]
    assert sorted(k or "" for k in keys) == [f"stars:{charge}", f"stars:{charge}:bonus"]


def test_a_tampered_pre_checkout_is_refused(stack: Any, database: Database) -> None:
    chat_id = _chat(stack, "en")
    _say(stack, chat_id, "/balance")  # registered
    tampered = [
        (f"topup:{chat_id}:1000:cafe", 1),  # 1000 coins for one star
        (f"topup:{chat_id + 1}:500:cafe", 90),  # somebody else's invoice
        ("topup:nonsense", 90),
    ]
    for payload, stars in tampered:
        sent = web.post(f"{stack.telegram.base_url}{stack.telegram.token}/sendInvoice", timeout=10, json={
            "chat_id": chat_id, "title": "Coins", "description": "Coins", "payload": payload, "currency": "XTR",
            "provider_token": "", "prices": json.dumps([{"label": "coins", "amount": stars}])}).json()
        assert sent["ok"], sent
        checkout = stack.chat.pay(chat_id, sent["result"]["message_id"])
        payment = stack.chat.payment(checkout["id"], wait=BOT_TIMEOUT)
        assert payment["status"] == "declined", payment
        assert "no longer valid" in payment["error_message"]
    assert _balance(database, chat_id) == 0


def _state(stack: Any, chat_id: int) -> ChatState | None:
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    try:
        return load_state(client, chat_id)
    finally:
        client.close()


def test_another_flow_s_conversation_survives_and_an_expired_promo_step_goes_to_the_menu(
        stack: Any, database: Database, waiter: Any) -> None:
    chat_id = _chat(stack)
    code = f"KEEP{uuid.uuid4().hex[:6]}".upper()
    with database.transaction() as conn:
        promo.create(conn, code, PromoKind.COINS, 30)
    _say(stack, chat_id, "/balance")
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    save_state(client, chat_id, ChatState(flow="avatar", step="photos", data={"avatar_id": 1}), 600)
    assert "Ваш баланс" in _say(stack, chat_id, "/balance")["message"]["text"]
    assert "+30 монет" in _say(stack, chat_id, f"/promo {code}")["message"]["text"]
    assert _state(stack, chat_id) == ChatState(flow="avatar", step="photos", data={"avatar_id": 1})

    shown = _say(stack, chat_id, "/balance")
    stack.chat.press(chat_id, shown["message_id"], data="balance:promo")
    waiter(lambda: (_state(stack, chat_id) or ChatState(flow="", step="")).step == "promo_code", BOT_TIMEOUT,
           what="promo step")
    clear_state(client, chat_id)  # the conversation's TTL runs out while the user types
    client.close()
    answer = _say(stack, chat_id, "SOMECODE")
    assert "Главное меню" in answer["message"]["text"]
    assert _balance(database, chat_id) == 30
