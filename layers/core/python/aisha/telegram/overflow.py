"""Where a bot flow's message goes when flood control outlasts the wait budget: kept for later.

The bot handler (aisha/handlers/bot.py) runs a flow inside `overflow_to(keep)`, `keep` writing the
call to the notification outbox (kind `bot_call`); the Bot (aisha/telegram/flood.py) hands it a
sendMessage or editMessageText that Telegram still refuses after the budget, and the flow goes on
with a stand-in result (a sent message with id 0; an edit done), so the domain effect stays and the
message is not lost: the outbox's sweep sends it. A callback answer is not kept (Telegram takes it
within about 15 s only); calls carrying files are not either (their bytes are not kept): those raise.
Outside `overflow_to` (the outbox's own sends) nothing is kept: the outbox row stays pending instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram import TelegramObject

Keep = Callable[[str, dict[str, Any]], None]  # (Bot API method, its JSON parameters)
KEPT_METHODS = frozenset({"sendMessage", "editMessageText"})
_keep: ContextVar[Keep | None] = ContextVar("aisha_telegram_overflow", default=None)


@contextmanager
def overflow_to(keep: Keep) -> Iterator[None]:
    token = _keep.set(keep)
    try:
        yield
    finally:
        _keep.reset(token)


def _json(value: Any) -> Any:
    if isinstance(value, TelegramObject):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} for later")


def keep_for_later(endpoint: str, data: dict[str, Any]) -> dict[str, Any] | bool | None:
    """Keep the call if a flow asked for that and it can be kept; its stand-in result, or None."""
    keep = _keep.get()
    if keep is None or endpoint not in KEPT_METHODS:
        return None
    try:
        params = {key: _json(value) for key, value in data.items()}
    except TypeError:
        return None
    keep(endpoint, params)
    if endpoint == "editMessageText":
        return True
    return {"message_id": 0, "date": int(time.time()), "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": str(params.get("text", ""))}
