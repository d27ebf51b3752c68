"""Every Bot API call of the worker's bot goes through here: flood control and harmless refusals.

Every method of python-telegram-bot's `Bot` ends in `Bot._do_post` (the hook PTB's own `ExtBot` overrides
for its rate limiter; `telegram.ext` is not loaded for it), so this is the one place, for replies,
edits, callback answers and notifications alike:

- 429 `retry_after`: wait and send again, as long as the waits of this call (of the whole flow, inside
  `overflow_to`) stay within `TELEGRAM_FLOOD_WAIT_SECONDS`; past that a bot flow's message or edit is
  kept in the outbox for later (aisha/telegram/overflow.py), a callback answer is given up (its 15 s
  are gone), and anything else raises the `RetryAfter` (the outbox keeps its own notification pending);
- 400 "message is not modified" on an edit (a double tap, the same counter twice) is success;
- 400 "query is too old / query ID is invalid" on answerCallbackQuery: the button's spinner is gone
  either way, and the rest of the update still runs.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, RetryAfter

from aisha.telegram.overflow import current_scope, keep_for_later

log = logging.getLogger("aisha.telegram")
Sleep = Callable[[float], Awaitable[None]]
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

_EDITS = frozenset({"editmessagetext", "editmessagecaption", "editmessagemedia", "editmessagereplymarkup"})
NOT_MODIFIED = "message is not modified"
QUERY_GONE = ("query is too old", "query id is invalid")


def retry_seconds(exc: RetryAfter) -> float:
    """Telegram's `retry_after` in seconds (without PTB's int-or-timedelta deprecation warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()


def harmless(endpoint: str, exc: BadRequest) -> bool:
    """A refusal that means the wanted outcome is already there."""
    message, name = str(exc).lower(), endpoint.lower()
    if name in _EDITS and NOT_MODIFIED in message:
        return True
    return name == "answercallbackquery" and any(part in message for part in QUERY_GONE)


class FloodSafeBot(Bot):
    """A Bot that waits out flood control within `flood_budget` seconds a call, or a flow (see the module doc)."""

    def __init__(self, *args: Any, flood_budget: float, sleep: Sleep = asyncio.sleep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flood_budget = flood_budget
        self._sleep = sleep

    async def _do_post(self, endpoint: str, data: dict[str, Any], **timeouts: Any) -> JSONResult:
        scope = current_scope()
        waited = scope.waited if scope is not None else 0.0  # a flow's waits share one budget
        while True:
            try:
                return await super()._do_post(endpoint, data, **timeouts)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                if waited + wait > self._flood_budget:
                    log.warning("flood control on %s: retry after %.0f s is past the budget", endpoint, wait,
                                extra={"endpoint": endpoint, "retry_after": wait, "waited": waited})
                    if endpoint == "answerCallbackQuery":
                        return True  # too late to matter; the rest of the update still runs
                    if (kept := keep_for_later(endpoint, data)) is not None:
                        return kept
                    raise
                log.info("flood control on %s: waiting %.1f s", endpoint, wait,
                         extra={"endpoint": endpoint, "retry_after": wait})
                await self._sleep(wait)
                waited += wait
                if scope is not None:
                    scope.waited = waited
            except BadRequest as exc:
                if harmless(endpoint, exc):
                    log.info("%s: %s (taken as done)", endpoint, exc, extra={"endpoint": endpoint})
                    return True
                raise
