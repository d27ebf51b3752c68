"""What the bot needs of an update before it runs one: its chat, and the fields its handlers read.

An update with the right secret can still be poison (no `message.chat.id`, a callback without
`from`): `problem` names what is missing so the webhook parks it with that reason at once, and
`chat_id_of` never raises a KeyError into a dispatcher or the scheduled reconciler.
"""

from __future__ import annotations

from typing import Any

from aisha.errors import ClientError
from aisha.models import TelegramUpdate

MAX_ID = 2**63 - 1  # PostgreSQL's bigint: Telegram's ids use at most 52 bits


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_ID <= value <= MAX_ID


def _message_problem(name: str, message: Any) -> str | None:
    if not isinstance(message, dict):
        return f"{name} is not an object"
    chat = message.get("chat")
    if not isinstance(chat, dict) or not _is_id(chat.get("id")):
        return f"{name}.chat.id is missing or not an integer"
    if not _is_id(message.get("message_id")) or not _is_id(message.get("date")):
        return f"{name}.message_id or {name}.date is missing or not an integer"
    sender = message.get("from")
    if sender is not None and (not isinstance(sender, dict) or not _is_id(sender.get("id"))):
        return f"{name}.from.id is not an integer"
    return None


def _query_problem(name: str, query: Any) -> str | None:
    if not isinstance(query, dict):
        return f"{name} is not an object"
    sender = query.get("from")
    if not isinstance(sender, dict) or not _is_id(sender.get("id")):
        return f"{name}.from.id is missing or not an integer"
    if not isinstance(query.get("id"), str):
        return f"{name}.id is missing or not a string"
    return None


def problem(update: TelegramUpdate) -> str | None:
    """Why the bot could not handle this update (a field it reads is missing or malformed), or None."""
    for name in ("message", "edited_message"):
        if (container := getattr(update, name)) is not None and (found := _message_problem(name, container)):
            return found
    if update.callback_query is not None:
        if found := _query_problem("callback_query", update.callback_query):
            return found
        message = update.callback_query.get("message")
        if message is not None and (found := _message_problem("callback_query.message", message)):
            return found
    if update.pre_checkout_query is not None and (found := _query_problem("pre_checkout_query",
                                                                          update.pre_checkout_query)):
        return found
    return None


def chat_id_of(update: TelegramUpdate) -> int | None:
    """The update's chat (None for kinds without one); ClientError `malformed_update` for poison."""
    if (found := problem(update)) is not None:
        raise ClientError(f"not a usable Telegram update: {found}", code="malformed_update")
    return update.chat_id
