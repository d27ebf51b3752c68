"""The handler shared by the bot's functions: parse with python-telegram-bot, register the user,
apply the message rate limit, load the conversation, run the function's flow.

Invoked by the dispatcher with {"event_id", "update"}; raising marks the update failed (parked).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from aisha.bot.context import BotContext, under_message_limit
from aisha.bot.state import load_state
from aisha.services import outbox, users
from aisha.telegram.overflow import Keep, overflow_to
from aisha.texts import text
from aisha.worker import WorkerState, state

Flow = Callable[[BotContext], Awaitable[None]]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def bot_handler(flow: Flow) -> Handler:
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        worker = state()
        return worker.loop.run(_run(worker, flow, event))

    return handle


async def _run(worker: WorkerState, flow: Flow, event: dict[str, Any]) -> dict[str, Any]:
    bot = await worker.ready_bot()
    update = Update.de_json(event["update"], bot)
    sender = update.effective_user
    if sender is None:
        return {"ok": True, "ignored": "no sender"}
    chat_id = update.effective_chat.id if update.effective_chat else sender.id
    language = users.language_for(sender.language_code)  # a new user's; a known one keeps theirs
    with worker.db.transaction() as conn:
        user, created = users.register(conn, sender.id, first_name=sender.first_name or "",
                                       username=sender.username, last_name=sender.last_name, language=language,
                                       welcome_bonus=worker.settings.welcome_bonus)
    # payments are never rate limited: a dropped successful_payment would lose coins the user paid for
    paying = update.pre_checkout_query is not None or bool(update.message and update.message.successful_payment)
    exempt = paying or _later_part_of_album(worker, update)
    allowed, first_refusal = (True, False) if exempt else under_message_limit(worker, user.id)
    if not allowed:
        if update.callback_query:
            await bot.answer_callback_query(update.callback_query.id)
        if first_refusal:
            await bot.send_message(chat_id, text(user.language.value, "rate_limited"))
        return {"ok": True, "rate_limited": True}
    ctx = BotContext(worker=worker, bot=bot, update=update, event_id=int(event.get("event_id", 0)),
                     chat_id=chat_id, user=user, state=load_state(worker.redis, chat_id), created=created)
    with overflow_to(_to_outbox(worker, update.update_id, chat_id)):
        await flow(ctx)
        await ctx.answer_button()  # a button a flow left unanswered still stops spinning (a no-op if answered)
    return {"ok": True}


def _to_outbox(worker: WorkerState, update_id: int, chat_id: int) -> Keep:
    """A flow's message that flood control held back goes to the outbox, keyed by the update: a rerun
    of the same update (a replay) keeps nothing twice."""
    numbers = itertools.count()

    def keep(method: str, params: dict[str, Any]) -> None:
        with worker.db.transaction() as conn:
            outbox.enqueue(conn, f"tg:{update_id}:{next(numbers)}", int(params.get("chat_id", chat_id)),
                           "bot_call", {"method": method, "params": params})

    return keep


def _later_part_of_album(worker: WorkerState, update: Update) -> bool:
    """An album counts as one message toward the rate limit: its first photo is counted, not the rest."""
    group = update.message.media_group_id if update.message else None
    if not group:
        return False
    first = worker.redis.set(f"aisha:rl:album:{group}", 1, nx=True, ex=600)
    return not first
