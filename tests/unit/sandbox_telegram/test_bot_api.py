"""The Bot API as a pure call (``BotApi.handle``): Telegram's answers and errors, no socket opened."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from sandbox.telegram import SandboxConfig, SandboxCore
from sandbox.telegram.params import Params

T = TypeVar("T")
TOKEN = "4242:unit-test-token_abc"


def run(work: Callable[[SandboxCore], Awaitable[T]], **config: Any) -> T:
    async def main() -> T:
        core = SandboxCore(SandboxConfig(token=TOKEN, **config), clock=lambda: 1_800_000_000.0)
        try:
            return await work(core)
        finally:
            await core.close()

    return asyncio.run(main())


async def call(core: SandboxCore, method: str, **values: Any) -> tuple[int, dict[str, Any]]:
    # PTB's way: every value a string, objects JSON-encoded
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return await core.api.handle(TOKEN, method, Params(encoded))


def test_token_method_and_parameter_errors_look_like_telegram() -> None:
    async def work(core: SandboxCore) -> None:
        assert await core.api.handle("1:wrong-token-xx", "getMe", Params()) == (
            401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        assert await call(core, "noSuchMethod") == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
        status, body = await call(core, "sendMessage", chat_id=7)
        assert (status, body["description"]) == (400, "Bad Request: message text is empty")
        status, body = await call(core, "sendMessage", text="hi")
        assert body["description"] == "Bad Request: chat_id is empty"
        status, body = await call(core, "sendMessage", chat_id=7, text="hi")
        assert body["description"] == "Bad Request: chat not found"
        status, body = await call(core, "getme")
        assert status == 200 and body["result"]["is_bot"] and body["result"]["id"] == 4242
        assert [c.method for c in core.state.calls] == ["noSuchMethod", "sendMessage", "sendMessage", "sendMessage",
                                                        "getMe"]
        assert core.state.calls[1].ok is False and core.state.calls[1].error_code == 400

    run(work)


def test_messages_edits_keep_history_and_refuse_no_change() -> None:
    async def work(core: SandboxCore) -> None:
        core.users.send_text(7, "/start")
        keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
        _, sent = await call(core, "sendMessage", chat_id=7, text="<b>Menu</b>", parse_mode="HTML",
                             reply_markup=keyboard, reply_parameters={"message_id": 1})
        message = sent["result"]
        assert message["from"]["is_bot"] and message["chat"] == {"id": 7, "type": "private", "first_name": "User 7"}
        assert message["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
        assert message["reply_markup"] == keyboard and message["reply_to_message"]["text"] == "/start"
        mid = message["message_id"]
        status, edited = await call(core, "editMessageText", chat_id=7, message_id=mid, text="Menu 2",
                                    reply_markup=keyboard)
        assert status == 200 and edited["result"]["edit_date"] == 1_800_000_000
        status, same = await call(core, "editMessageText", chat_id=7, message_id=mid, text="Menu 2",
                                  reply_markup=keyboard)
        assert status == 400 and same["description"].startswith("Bad Request: message is not modified")
        status, _ = await call(core, "editMessageReplyMarkup", chat_id=7, message_id=mid)
        record = core.state.chats[7].messages[mid]
        assert status == 200 and "reply_markup" not in record.message
        assert [e["text"] for e in record.edits] == ["Menu", "Menu 2"]
        status, body = await call(core, "editMessageText", chat_id=7, message_id=1, text="x")
        assert body["description"] == "Bad Request: message can't be edited"
        assert (await call(core, "deleteMessage", chat_id=7, message_id=mid))[0] == 200
        status, body = await call(core, "deleteMessage", chat_id=7, message_id=mid)
        assert body["description"] == "Bad Request: message to delete not found"
        status, body = await call(core, "sendMessage", chat_id=7, text="x",
                                  reply_markup={"inline_keyboard": [[{"text": "x", "callback_data": "y" * 65}]]})
        assert body["description"] == "Bad Request: BUTTON_DATA_INVALID"

    run(work)


def test_reply_keyboards_go_to_the_chat_and_chat_actions_are_checked() -> None:
    async def work(core: SandboxCore) -> None:
        core.users.send_text(7, "hi")
        keyboard = {"keyboard": [[{"text": "Menu"}]], "resize_keyboard": True}
        _, body = await call(core, "sendMessage", chat_id=7, text="ok", reply_markup=keyboard)
        assert "reply_markup" not in body["result"] and core.state.chats[7].reply_keyboard == keyboard
        assert (await call(core, "sendChatAction", chat_id=7, action="typing"))[0] == 200
        _, body = await call(core, "sendChatAction", chat_id=7, action="dancing")
        assert body["description"] == "Bad Request: wrong parameter action in request"

    run(work)


def test_webhook_settings_and_info() -> None:
    async def work(core: SandboxCore) -> None:
        _, body = await call(core, "setWebhook", url="http://127.0.0.1:9/hook", secret_token="bad secret!")
        assert body["description"] == "Bad Request: secret token contains unallowed characters"
        _, body = await call(core, "setWebhook", url="ftp://x/hook")
        assert body["error_code"] == 400
        core.users.send_text(7, "queued before the webhook")
        _, body = await call(core, "setWebhook", url="http://127.0.0.1:9/hook", secret_token="s-1_A",
                             max_connections=5, allowed_updates=["message", "callback_query"],
                             drop_pending_updates=True)
        assert body == {"ok": True, "result": True, "description": "Webhook was set"}
        _, info = await call(core, "getWebhookInfo")
        assert info["result"] == {"url": "http://127.0.0.1:9/hook", "has_custom_certificate": False,
                                  "pending_update_count": 0, "max_connections": 5, "ip_address": "127.0.0.1",
                                  "allowed_updates": ["message", "callback_query"]}
        status, body = await call(core, "getUpdates")
        assert status == 409 and body["description"].startswith("Conflict: can't use getUpdates")
        _, body = await call(core, "deleteWebhook")
        assert body["description"] == "Webhook was deleted"
        _, body = await call(core, "deleteWebhook")
        assert body["description"] == "Webhook is already deleted"

    run(work)


def test_get_updates_confirms_by_offset() -> None:
    async def work(core: SandboxCore) -> None:
        first, _ = core.users.send_text(7, "one")
        core.users.send_text(8, "two")
        _, body = await call(core, "getUpdates")
        assert [u["message"]["text"] for u in body["result"]] == ["one", "two"]
        _, body = await call(core, "getUpdates", offset=first.update_id + 1, timeout=0)
        assert [u["message"]["text"] for u in body["result"]] == ["two"]
        assert core.dispatcher.find(first.update_id).status == "confirmed"  # type: ignore[union-attr]

    run(work)


def test_get_file_refuses_files_over_20_mb() -> None:
    async def work(core: SandboxCore) -> None:
        small = core.files.add_document(b"x" * 10, "a.txt", "text/plain")
        big = core.files.add_document(b"\0" * (20 * 1024 * 1024 + 1), "big.bin", None)
        status, body = await call(core, "getFile", file_id=small["file_id"])
        assert status == 200 and body["result"]["file_path"].startswith("documents/")
        assert body["result"]["file_size"] == 10
        _, body = await call(core, "getFile", file_id=big["file_id"])
        assert body == {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"}
        _, body = await call(core, "getFile", file_id="nope")
        assert body["description"] == "Bad Request: invalid file_id"

    run(work)


def test_stars_invoice_rules_and_pre_checkout_window() -> None:
    async def work(core: SandboxCore) -> None:
        core.users.send_text(7, "/buy")
        prices = [{"label": "250 coins", "amount": 50}]
        base = {"chat_id": 7, "title": "Coins", "description": "250 coins", "payload": "topup:250", "currency": "XTR"}
        _, body = await call(core, "sendInvoice", **base, prices=prices, provider_token="tok")
        assert body["description"] == "Bad Request: provider_token must be empty for payments in Telegram Stars"
        _, body = await call(core, "sendInvoice", **base, prices=prices + prices)
        assert body["description"] == "Bad Request: STARS_INVOICE_INVALID"
        _, body = await call(core, "sendInvoice", **base, prices=prices)
        invoice = body["result"]
        assert invoice["invoice"] == {"title": "Coins", "description": "250 coins", "start_parameter": "",
                                      "currency": "XTR", "total_amount": 50}
        checkout = core.users.pay(7, invoice["message_id"])
        _, body = await call(core, "answerPreCheckoutQuery", pre_checkout_query_id=checkout.id, ok=False)
        assert body["description"] == "Bad Request: error_message is empty"
        assert (await call(core, "answerPreCheckoutQuery", pre_checkout_query_id=checkout.id, ok=True))[0] == 200
        assert checkout.status == "paid" and checkout.telegram_payment_charge_id
        last = core.dispatcher.updates[-1].update["message"]["successful_payment"]
        assert last["invoice_payload"] == "topup:250" and last["total_amount"] == 50
        _, body = await call(core, "answerPreCheckoutQuery", pre_checkout_query_id=checkout.id, ok=True)
        assert body["description"].startswith("Bad Request: query is too old")

    run(work)


def test_a_pre_checkout_query_not_answered_within_10_seconds_expires() -> None:
    now = [1_800_000_000.0]

    async def main() -> None:
        core = SandboxCore(SandboxConfig(token=TOKEN), clock=lambda: now[0])
        core.users.send_text(7, "/buy")
        _, body = await call(core, "sendInvoice", chat_id=7, title="Coins", description="d", payload="p",
                             currency="XTR", prices=[{"label": "x", "amount": 1}])
        checkout = core.users.pay(7, body["result"]["message_id"])
        now[0] += 10.5
        status, body = await call(core, "answerPreCheckoutQuery", pre_checkout_query_id=checkout.id, ok=True)
        assert status == 400 and checkout.status == "expired"
        await core.close()

    asyncio.run(main())


def test_webhook_reply_with_a_method_is_executed() -> None:
    async def work(core: SandboxCore) -> None:
        core.users.send_text(7, "hi")
        await core.api.run_webhook_reply({"method": "sendMessage", "chat_id": 7, "text": "from the reply"})
        assert core.state.chats[7].messages[2].message["text"] == "from the reply"

    run(work)


@pytest.mark.parametrize("delay_attempt, expected", [(1, 0.01), (3, 0.04), (50, 0.6)])
def test_retry_backoff_is_scaled(delay_attempt: int, expected: float) -> None:
    assert SandboxConfig(token=TOKEN, time_scale=0.01).retry_delay(delay_attempt) == pytest.approx(expected)


def test_a_sandbox_bug_is_a_recorded_500_not_a_dropped_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox.telegram import methods

    async def broken(core: SandboxCore, params: Params) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(methods.METHODS, "getme", ("getMe", broken))

    async def work(core: SandboxCore) -> None:
        status, body = await call(core, "getMe")
        assert status == 500 and body["description"] == "Internal Server Error: RuntimeError: boom"
        assert core.state.calls[-1].error_code == 500

    run(work)


def test_reply_parameters_need_an_integer_message_id() -> None:
    async def work(core: SandboxCore) -> None:
        core.users.send_text(7, "hi")
        _, body = await call(core, "sendMessage", chat_id=7, text="x", reply_parameters={"message_id": "one"})
        assert body["description"] == 'Bad Request: field "message_id" must be of type Integer'
        _, body = await call(core, "sendMessage", chat_id=7, text="x", reply_parameters={"message_id": 99})
        assert body["description"] == "Bad Request: message to be replied not found"
        status, _ = await call(core, "sendMessage", chat_id=7, text="x",
                               reply_parameters={"message_id": 99, "allow_sending_without_reply": True})
        assert status == 200

    run(work)


def test_updates_are_not_sent_off_the_machine() -> None:
    async def work(core: SandboxCore) -> None:
        _, body = await call(core, "setWebhook", url="https://bot.example.org/webhook/telegram")
        assert body["ok"]
        update, _ = core.users.send_text(7, "hi")
        await core.state.notifier.wait_for(lambda: bool(update.attempts), 5)
        assert update.attempts[0]["status"] is None and update.status == "pending"
        _, info = await call(core, "getWebhookInfo")
        assert info["result"]["last_error_message"].endswith("the sandbox delivers to loopback webhooks only")

    run(work)
