"""The pure pieces behind issue 11's Telegram side: callback bounds, harmless refusals, poison checks,
what a flow may keep for later."""

from __future__ import annotations

from typing import Any

import pytest
from aisha.callbacks import MAX_NUMBER, Callback
from aisha.errors import ClientError
from aisha.models import TelegramUpdate
from aisha.services.tg_updates import chat_id_of, problem
from aisha.telegram.flood import harmless
from aisha.telegram.overflow import keep_for_later, overflow_to
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest


@pytest.mark.parametrize("data", ["balance:history:" + "9" * 40, f"avatar:status:{MAX_NUMBER + 1}",
                                  f"avatar:status:-{MAX_NUMBER + 1}", "gallery:image: 1_000_000_000_000_000_000 "])
def test_callback_data_with_a_number_past_the_bound_is_not_a_callback(data: str) -> None:
    assert Callback.parse(data) is None
    with pytest.raises(ValueError):
        Callback(*data.split(":", 2))


def test_numbers_within_the_bound_and_digits_int_cannot_read() -> None:
    assert Callback.parse(f"balance:history:{MAX_NUMBER}").number == MAX_NUMBER  # type: ignore[union-attr]
    assert Callback.parse("balance:history:²").number is None  # type: ignore[union-attr]
    assert Callback.parse("balance:history:١٢").number is None  # type: ignore[union-attr]
    assert Callback.parse("balance::5") is None  # an argument needs an action


@pytest.mark.parametrize(("endpoint", "message", "expected"), [
    ("editMessageText", "Message is not modified: specified new message content", True),
    ("editMessageReplyMarkup", "Message is not modified", True),
    ("sendMessage", "Message is not modified", False),
    ("answerCallbackQuery", "Query is too old and response timeout expired or query id is invalid", True),
    ("editMessageText", "Message to edit not found", False),
])
def test_which_refusals_mean_the_outcome_is_already_there(endpoint: str, message: str, expected: bool) -> None:
    assert harmless(endpoint, BadRequest(message)) is expected


def _update(**payload: Any) -> TelegramUpdate:
    return TelegramUpdate.from_dict({"update_id": 1, **payload})


def test_poison_is_named_and_never_a_key_error() -> None:
    message = {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}, "from": {"id": 5}}
    assert problem(_update(message=message)) is None and chat_id_of(_update(message=message)) == 5
    assert "message.chat.id" in (problem(_update(message={**message, "chat": {"type": "private"}})) or "")
    assert "message.chat.id" in (problem(_update(message={**message, "chat": {"id": "5"}})) or "")
    assert "callback_query.from.id" in (problem(_update(callback_query={"id": "q", "data": "menu"})) or "")
    assert "callback_query.message" in (problem(_update(callback_query={"id": "q", "from": {"id": 5},
                                                                         "message": {"chat": {}}})) or "")
    assert "pre_checkout_query.from.id" in (problem(_update(pre_checkout_query={"id": "q", "from": {}})) or "")
    assert problem(_update(message={**message, "chat": {"id": 2**70}})) is not None
    with pytest.raises(ClientError) as refused:
        chat_id_of(_update(callback_query={"id": "q"}))
    assert refused.value.code == "malformed_update"
    assert chat_id_of(_update(my_chat_member_without_chat={})) is None  # a kind without a chat is no poison


def test_only_a_flows_text_message_or_edit_is_kept_for_later() -> None:
    kept: list[tuple[str, dict[str, Any]]] = []
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Menu", callback_data="menu:show")]])
    data = {"chat_id": 5, "text": "hi", "reply_markup": markup}
    assert keep_for_later("sendMessage", data) is None  # outside a flow: nothing is kept
    with overflow_to(lambda method, params: kept.append((method, params))):
        sent = keep_for_later("sendMessage", data)
        assert isinstance(sent, dict) and sent["message_id"] == 0 and sent["chat"]["id"] == 5
        assert keep_for_later("editMessageText", {**data, "message_id": 9}) is True
        assert keep_for_later("sendPhoto", {"chat_id": 5, "photo": InputFile(b"x")}) is None
        assert keep_for_later("answerCallbackQuery", {"callback_query_id": "q"}) is None
    assert [method for method, _ in kept] == ["sendMessage", "editMessageText"]
    assert kept[0][1]["reply_markup"] == {"inline_keyboard": [[{"text": "Menu", "callback_data": "menu:show"}]]}


def test_which_handler_failures_are_tried_again() -> None:
    from aisha.services.tg_dispatch import transient

    # the execution environment died, timed out, ran out of memory; a service or the runner was away
    for passing in ("Runtime.ExitError", "Runtime.OutOfMemory", "Sandbox.Timedout", "ConnectionError",
                    "OperationalError", "TimedOut", "NetworkError", "InvokeFailed", "DatabaseUnavailable",
                    "StorageError"):
        assert transient(passing), passing
    for bug in ("KeyError", "ValueError", "Unhandled", "ClientError", "BadRequest"):  # fails every time
        assert not transient(bug), bug
