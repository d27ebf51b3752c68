"""Where a bot flow's message goes when flood control outlasts the wait budget: kept for later.

The bot handler (aisha/handlers/bot.py) runs a flow inside `overflow_to(keep)`, `keep` writing the
call to the notification outbox (kind `bot_call`); the Bot (aisha/telegram/flood.py) hands it a
sendMessage or editMessageText that Telegram still refuses after the budget, and the flow goes on
with a stand-in result (a sent message with id 0; an edit done), so the domain effect stays and the
message is not lost: the outbox's sweep sends it. A callback answer is not kept (Telegram takes it
within about 15 s only); calls carrying files are not either (their bytes are not kept): those raise.
Outside `overflow_to` (the outbox's own sends) nothing is kept: the outbox row stays pending instead.

Inside `overflow_to` the flood wait budget is the flow's, not each call's: a flow of three messages
under flood control waits TELEGRAM_FLOOD_WAIT_SECONDS in all, then keeps the rest, so it never runs
into its function's timeout waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import TelegramObject

Keep = Callable[[str, dict[str, Any]], None]  # (Bot API method, its JSON parameters)
KEPT_METHODS = frozenset({"sendMessage", "editMessageText"})


@dataclass
class FlowScope:
    keep: Keep
    waited: float = 0.0  # seconds of flood waits so far, for all the flow's calls together


_scope: ContextVar[FlowScope | None] = ContextVar("aisha_telegram_overflow", default=None)


@contextmanager
def overflow_to(keep: Keep) -> Iterator[FlowScope]:
    scope = FlowScope(keep)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> FlowScope | None:
    return _scope.get()


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
    scope = _scope.get()
    if scope is None or endpoint not in KEPT_METHODS:
        return None
    try:
        params = {key: _json(value) for key, value in data.items()}
    except TypeError:
        return None
    scope.keep(endpoint, params)
    if endpoint == "editMessageText":
        return True
    return {"message_id": 0, "date": int(time.time()), "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": str(params.get("text", ""))}
