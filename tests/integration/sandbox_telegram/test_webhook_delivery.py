"""Updates reach the bot's webhook like Telegram's: secret header, per-chat order, retries, max age."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from typing import Any

from telegram import Bot, Update

from sandbox.telegram import SandboxClient, TelegramSandbox
from tests import web
from tests.integration.sandbox_telegram.harness import Receiver, image

SECRET = "webhook-secret_123"


def set_webhook(sandbox: TelegramSandbox, url: str, **extra: Any) -> dict[str, Any]:
    body = {"url": url, "secret_token": SECRET, **extra}
    return web.post(f"{sandbox.base_url}{sandbox.token}/setWebhook", json=body).json()


def bot_call(sandbox: TelegramSandbox, method: str, **params: Any) -> Any:
    return web.post(f"{sandbox.base_url}{sandbox.token}/{method}", json=params).json()


def test_an_album_arrives_as_updates_sharing_a_media_group_id(sandbox: TelegramSandbox, client: SandboxClient,
                                                             receiver: Receiver) -> None:
    assert set_webhook(sandbox, receiver.url)["ok"]
    photos = [image(1200, 800, (i * 60, 40, 40)) for i in range(3)]
    sent = client.send_photos(77, photos, caption="my photos")
    deliveries = receiver.wait(3)
    assert all(d["headers"]["X-Telegram-Bot-Api-Secret-Token"] == SECRET for d in deliveries)
    assert all(d["headers"]["Content-Type"] == "application/json" for d in deliveries)
    updates = [Update.de_json(d["update"], None) for d in deliveries]
    assert [u.update_id for u in updates] == sent["update_ids"] == sorted(sent["update_ids"])
    messages = [u.message for u in updates]
    assert all(m is not None for m in messages)
    group = {m.media_group_id for m in messages if m}
    assert len(group) == 1 and None not in group
    assert [m.caption for m in messages if m] == ["my photos", None, None]
    for message in messages:
        assert message and [p.width for p in message.photo] == [90, 320, 800, 1200]
        assert message.from_user and message.from_user.id == 77 and message.chat.type == "private"

    async def download() -> bytes:
        async with Bot(sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url) as bot:
            assert messages[0] is not None
            file = await bot.get_file(messages[0].photo[-1].file_id)
            return bytes(await file.download_as_bytearray())

    downloaded = asyncio.run(download())
    assert downloaded[:2] == b"\xff\xd8" and len(downloaded) > 1000
    assert client.update(sent["update_ids"][-1], wait=10)["status"] == "delivered"  # its 200 is processed
    assert {u["status"] for u in client.updates()} == {"delivered"}
    assert client.webhook_info()["pending_update_count"] == 0


def test_a_failing_update_is_retried_and_later_updates_of_its_chat_wait(sandbox: TelegramSandbox,
                                                                       client: SandboxClient,
                                                                       receiver: Receiver) -> None:
    attempts: Counter[int] = Counter()

    def behaviour(update: dict[str, Any]) -> int:
        attempts[update["update_id"]] += 1
        failing = update.get("message", {}).get("text") == "first"
        return 500 if failing and attempts[update["update_id"]] <= 2 else 200

    receiver.behaviour = behaviour
    assert set_webhook(sandbox, receiver.url)["ok"]
    first = client.send_text(10, "first")["update_id"]
    second = client.send_text(10, "second")["update_id"]
    receiver.wait(2, ok_only=True)
    order = [(r["update"]["update_id"], r["status"]) for r in receiver.requests]
    assert order == [(first, 500), (first, 500), (first, 200), (second, 200)]
    assert client.update(second, wait=10)["status"] == "delivered"
    record = client.update(first)
    assert record["status"] == "delivered" and [a["status"] for a in record["attempts"]] == [500, 500, 200]
    info = client.webhook_info()
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert abs(info["last_error_date"] - time.time()) < 60 and info["pending_update_count"] == 0


def test_a_failing_chat_does_not_block_other_chats(sandbox: TelegramSandbox, client: SandboxClient,
                                                   receiver: Receiver) -> None:
    other_arrived = threading.Event()

    def behaviour(update: dict[str, Any]) -> int:
        text = update.get("message", {}).get("text")
        if text == "other chat":
            other_arrived.set()
        return 500 if text == "stuck" and not other_arrived.is_set() else 200

    receiver.behaviour = behaviour
    assert set_webhook(sandbox, receiver.url)["ok"]
    stuck = client.send_text(10, "stuck")["update_id"]
    behind = client.send_text(10, "behind")["update_id"]
    receiver.wait(1)  # the stuck one failed at least once before the other chat writes
    other = client.send_text(20, "other chat")["update_id"]
    receiver.wait(3, ok_only=True)
    delivered = [r["update"]["update_id"] for r in receiver.requests if r["status"] == 200]
    assert delivered == [other, stuck, behind]


def test_pending_count_while_failing_then_delivery_when_the_bot_recovers(sandbox: TelegramSandbox,
                                                                        client: SandboxClient,
                                                                        receiver: Receiver) -> None:
    receiver.behaviour = lambda update: 503
    assert set_webhook(sandbox, receiver.url)["ok"]
    ids = [client.send_text(10, text)["update_id"] for text in ("a", "b")]
    receiver.wait(2)
    info = bot_call(sandbox, "getWebhookInfo")["result"]
    assert info["pending_update_count"] == 2 and "503" in info["last_error_message"]
    assert {r["update"]["update_id"] for r in receiver.requests} == {ids[0]}
    receiver.behaviour = lambda update: 200
    assert client.update(ids[1], wait=10)["status"] == "delivered"
    assert [u["message"]["text"] for u in receiver.updates()] == ["a", "b"]


def test_timeouts_and_max_age(receiver: Receiver) -> None:
    with TelegramSandbox(time_scale=0.01, delivery_timeout=0.2, max_update_age=100) as sandbox, \
            SandboxClient(sandbox.url) as client:
        receiver.delay = 0.5
        assert set_webhook(sandbox, receiver.url)["ok"]
        stale = client.send_text(10, "too slow")["update_id"]
        record = client.update(stale, wait=10)
        assert record["status"] == "dropped"  # older than max_update_age (100 s scaled to 1 s)
        assert record["attempts"] and {a["error"] for a in record["attempts"]} == {"Read timeout expired"}
        assert client.webhook_info()["last_error_message"] == "Read timeout expired"
        receiver.delay = 0.0
        later = client.send_text(10, "after the dropped one")["update_id"]
        assert client.update(later, wait=10)["status"] == "delivered"


def test_buttons_payments_and_webhook_replies(sandbox: TelegramSandbox, client: SandboxClient,
                                             receiver: Receiver) -> None:
    def behaviour(update: dict[str, Any]) -> int | tuple[int, dict[str, Any]]:
        if "message" in update and update["message"].get("text") == "/ping":
            return 200, {"method": "sendMessage", "chat_id": update["message"]["chat"]["id"], "text": "pong"}
        return 200

    receiver.behaviour = behaviour
    assert set_webhook(sandbox, receiver.url, allowed_updates=["message", "callback_query", "pre_checkout_query"])["ok"]
    client.send_text(30, "/ping")
    assert client.wait_bot_messages(30, timeout=10)[0]["message"]["text"] == "pong"
    keyboard = {"inline_keyboard": [[{"text": "Buy 250", "callback_data": "buy:250"}]]}
    menu = bot_call(sandbox, "sendMessage", chat_id=30, text="Top up", reply_markup=keyboard)["result"]
    client.press(30, menu["message_id"], text="Buy 250")
    callback = Update.de_json(receiver.wait(2)[-1]["update"], None).callback_query
    assert callback and callback.data == "buy:250" and callback.message
    assert callback.message.message_id == menu["message_id"]
    assert bot_call(sandbox, "answerCallbackQuery", callback_query_id=callback.id)["ok"]
    invoice = bot_call(sandbox, "sendInvoice", chat_id=30, title="250 coins", description="Top up",
                       payload="topup:250", currency="XTR", prices=[{"label": "250", "amount": 100}])["result"]
    checkout = client.pay(30)
    assert checkout["invoice_message_id"] == invoice["message_id"]
    query = Update.de_json(receiver.wait(3)[-1]["update"], None).pre_checkout_query
    assert query and query.id == checkout["id"] and query.currency == "XTR" and query.total_amount == 100
    assert bot_call(sandbox, "answerPreCheckoutQuery", pre_checkout_query_id=query.id, ok=True)["ok"]
    paid = Update.de_json(receiver.wait(4)[-1]["update"], None).message
    assert paid and paid.successful_payment and paid.successful_payment.invoice_payload == "topup:250"
    charge = client.payment(checkout["id"])["telegram_payment_charge_id"]
    assert paid.successful_payment.telegram_payment_charge_id == charge
    declined = client.pay(30)
    receiver.wait(5)
    assert bot_call(sandbox, "answerPreCheckoutQuery", pre_checkout_query_id=declined["id"], ok=False,
                    error_message="Sold out")["ok"]
    assert client.payment(declined["id"])["status"] == "declined"


def test_drop_pending_updates_and_get_updates_without_webhook(sandbox: TelegramSandbox, client: SandboxClient,
                                                              receiver: Receiver) -> None:
    client.send_text(40, "old news")
    assert bot_call(sandbox, "getUpdates")["result"][0]["message"]["text"] == "old news"
    assert set_webhook(sandbox, receiver.url, drop_pending_updates=True)["ok"]
    fresh = client.send_text(40, "fresh")["update_id"]
    assert client.update(fresh, wait=10)["status"] == "delivered"
    assert [u["message"]["text"] for u in receiver.updates()] == ["fresh"]
    assert [u["status"] for u in client.updates(chat_id=40)] == ["dropped", "delivered"]


def test_duplicates_other_message_kinds_and_raw_updates(sandbox: TelegramSandbox, client: SandboxClient,
                                                        receiver: Receiver) -> None:
    assert set_webhook(sandbox, receiver.url)["ok"]
    first = client.send_text(50, "once")["update_id"]
    receiver.wait(1)
    again = client.redeliver(first)
    assert again["update_id"] == first and client.update(first, wait=10)["status"] == "delivered"
    sticker = {"file_id": "CAACAgIAAxkBAAI", "file_unique_id": "AgAD", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}
    client.send_fields(50, {"sticker": sticker})
    edited = {"message_id": 1, "date": 1, "edit_date": 2, "text": "once!", "chat": {"id": 50, "type": "private"}}
    client.send_update("edited_message", edited, chat_id=50)
    updates = [Update.de_json(d["update"], None) for d in receiver.wait(4)]
    assert [u.update_id for u in updates[:2]] == [first, first]
    assert updates[2].message and updates[2].message.sticker and updates[2].message.sticker.width == 512
    assert updates[3].edited_message and updates[3].edited_message.text == "once!"


def test_a_redirect_is_a_failed_delivery_and_an_unreachable_webhook_is_reported(sandbox: TelegramSandbox,
                                                                                client: SandboxClient,
                                                                                receiver: Receiver) -> None:
    receiver.behaviour = lambda update: 302
    assert set_webhook(sandbox, receiver.url)["ok"]
    client.send_text(60, "hello")
    assert last_error(client, "Wrong response from the webhook: 302 Found") == 302
    with socket.socket() as probe:  # a free port that nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert set_webhook(sandbox, f"http://127.0.0.1:{port}/hook")["ok"]
    assert last_error(client, "Connection refused") is None


def last_error(client: SandboxClient, expected: str) -> int | None:
    """Wait until getWebhookInfo reports ``expected``; the status of the last attempt (None: no answer)."""
    deadline = time.monotonic() + 10
    while client.webhook_info().get("last_error_message") != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.webhook_info().get("last_error_message") == expected
    attempts = [a for u in client.updates() for a in u["attempts"]]
    return attempts[-1]["status"] if attempts else None
