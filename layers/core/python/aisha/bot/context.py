"""What a flow gets for one update: the parsed update, the user, the state, and ways to answer.

Three ways to answer (aisha/telegram/live.py keeps which message is live):
- `reply`: a new message at the bottom, the live step message of the chat from now on;
- `edit_or_reply`: the next step of a conversation. It edits the pressed message only when that is the
  live step message (the chat's newest bot message, sent as a step); a button pressed on any older
  message (a receipt, an earlier step far up the chat) continues at the bottom with a new message;
- `milestone`: receipts and results (payment received, promo redeemed, training started, images
  ordered): a new message that nothing edits later; its buttons lead to new messages.
`retire_pressed` / `retire_step` take the buttons off finished work (the review after "Start training",
the step that `/cancel` ended).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from aisha.bot.state import ChatState, Ending, clear_state, load_ending, save_state
from aisha.callbacks import Callback
from aisha.models import User
from aisha.telegram import live
from aisha.texts import text
from aisha.worker import WorkerState

Keyboard = list[list[tuple[str, str]]]  # rows of (label, callback data)


def keyboard(rows: Keyboard) -> InlineKeyboardMarkup:
    """Every button of the bot is made here, so every callback data is checked here: it must be a
    Callback (version 1 format, at most 64 bytes), or building the keyboard fails loudly."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=_checked(data)) for label, data in row]
                                 for row in rows])


def _checked(data: str) -> str:
    pressed = Callback.parse(data)
    if pressed is None or pressed.data != data:
        raise ValueError(f"not a valid callback data (format or 64 bytes): {data!r}")
    return data


@dataclass
class BotContext:
    worker: WorkerState
    bot: Bot
    update: Update
    event_id: int
    chat_id: int
    user: User
    state: ChatState | None
    created: bool = False  # the user registered with this update
    button_answered: bool = field(default=False, init=False)  # Telegram takes one answer per callback

    @property
    def lang(self) -> str:
        return self.user.language.value

    def t(self, key: str, **values: Any) -> str:
        return text(self.lang, key, **values)

    @property
    def data(self) -> str:
        query = self.update.callback_query
        return (query.data or "") if query else ""

    @property
    def callback(self) -> Callback:
        """The pressed button's callback data, parsed (an empty Callback when none or unreadable)."""
        return Callback.parse(self.data) or _NO_CALLBACK

    @property
    def text(self) -> str:
        message = self.update.message
        return (message.text or "").strip() if message else ""

    @property
    def pressed_message_id(self) -> int | None:
        query = self.update.callback_query
        return query.message.message_id if query and query.message else None

    async def reply(self, body: str, rows: Keyboard | None = None) -> Message:
        """A new message at the bottom; it is the chat's live step message from now on."""
        sent = await self.bot.send_message(self.chat_id, body, reply_markup=keyboard(rows) if rows else None)
        live.remember(self.worker.redis, self.chat_id, sent.message_id)
        return sent

    async def edit_or_reply(self, body: str, rows: Keyboard | None = None) -> None:
        """The pressed message edited if it is the live step message; otherwise a new one at the bottom."""
        pressed = self.pressed_message_id
        if pressed is not None and pressed == live.current(self.worker.redis, self.chat_id):
            try:
                await self.bot.edit_message_text(body, chat_id=self.chat_id, message_id=pressed,
                                                 reply_markup=keyboard(rows) if rows else None)
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():  # Refresh pressed and nothing changed
                    return
                # too old to edit, or deleted by the user: the step goes on at the bottom
        await self.reply(body, rows)

    async def milestone(self, body: str, rows: Keyboard | None = None) -> Message:
        """A receipt or a result: a new message that is never edited (its buttons lead to new messages)."""
        sent = await self.bot.send_message(self.chat_id, body, reply_markup=keyboard(rows) if rows else None)
        self.forget_live()
        return sent

    def forget_live(self) -> None:
        """Something else was sent at the bottom (a photo, an invoice): no message is live now."""
        live.forget(self.worker.redis, self.chat_id)

    async def retire_pressed(self) -> None:
        """Finished work keeps its text and loses its buttons (best effort: an old message may refuse)."""
        pressed = self.pressed_message_id
        if pressed is None:
            return
        with contextlib.suppress(BadRequest):  # without buttons already, or too old: its buttons still answer
            await self.bot.edit_message_reply_markup(chat_id=self.chat_id, message_id=pressed, reply_markup=None)

    async def retire_step(self) -> None:
        """The last step message loses its buttons (the conversation was ended by a command), even if a
        milestone came below it meanwhile."""
        message_id = live.last_step(self.worker.redis, self.chat_id)
        if message_id is None:
            return
        self.forget_live()
        with contextlib.suppress(BadRequest):
            await self.bot.edit_message_reply_markup(chat_id=self.chat_id, message_id=message_id, reply_markup=None)

    async def answer_button(self, notice: str | None = None) -> None:
        """Answer the pressed button, once: Telegram refuses a second answer, so later calls do nothing."""
        if self.update.callback_query and not self.button_answered:
            self.button_answered = True
            await self.bot.answer_callback_query(self.update.callback_query.id, text=notice)

    def set_state(self, flow: str, step: str, **data: Any) -> ChatState:
        self.state = ChatState(flow=flow, step=step, data=data)
        save_state(self.worker.redis, self.chat_id, self.state, self.worker.settings.conversation_ttl_seconds)
        return self.state

    def update_state(self, step: str | None = None, **data: Any) -> ChatState:
        assert self.state is not None
        merged = {**self.state.data, **data}
        return self.set_state(self.state.flow, step or self.state.step, **merged)

    def clear_state(self) -> None:
        self.state = None
        clear_state(self.worker.redis, self.chat_id)

    def end_state(self, reason: Literal["cancelled", "done"]) -> None:
        """End the conversation and remember how, so its old buttons say so (see `ending`)."""
        flow = self.state.flow if self.state is not None else "-"
        self.state = None
        clear_state(self.worker.redis, self.chat_id, Ending(reason=reason, flow=flow))

    def ending(self) -> Ending | None:
        """How the chat's last conversation ended, if no other one started since."""
        return load_ending(self.worker.redis, self.chat_id)

    def allow_paid_action(self) -> bool:
        """Per-user limit on paid actions (PRICE-bearing submits) per minute."""
        limit = self.worker.settings.rate_limit_paid_actions_per_minute
        return _under_limit(self.worker, f"paid:{self.user.id}", limit)


_NO_CALLBACK = Callback("-")


def _count(worker: WorkerState, name: str) -> int:
    """This minute's count of `name`, one more; one round trip (the key outlives its minute by a minute or two)."""
    key = f"aisha:rl:{name}:{int(time.time() // 60)}"
    pipe = worker.redis.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, 120)
    count, _ = pipe.execute()
    return int(count)


def _under_limit(worker: WorkerState, name: str, per_minute: int) -> bool:
    return _count(worker, name) <= per_minute


def under_message_limit(worker: WorkerState, user_id: int) -> tuple[bool, bool]:
    """(allowed, first refusal in this minute) for the per-user message limit."""
    limit = worker.settings.rate_limit_messages_per_minute
    count = _count(worker, f"msg:{user_id}")
    return count <= limit, count == limit + 1
