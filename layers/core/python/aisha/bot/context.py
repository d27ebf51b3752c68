"""What a flow gets for one update: the parsed update, the user, the state, and ways to answer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from aisha.bot.state import ChatState, clear_state, save_state
from aisha.callbacks import Callback
from aisha.models import User
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

    async def reply(self, body: str, rows: Keyboard | None = None) -> Message:
        return await self.bot.send_message(self.chat_id, body, reply_markup=keyboard(rows) if rows else None)

    async def edit_or_reply(self, body: str, rows: Keyboard | None = None) -> None:
        """Edit the message whose button was pressed, or send a new one."""
        query = self.update.callback_query
        markup = keyboard(rows) if rows else None
        if query and query.message:
            await self.bot.edit_message_text(body, chat_id=self.chat_id, message_id=query.message.message_id,
                                             reply_markup=markup)
        else:
            await self.bot.send_message(self.chat_id, body, reply_markup=markup)

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

    def allow_paid_action(self) -> bool:
        """Per-user limit on paid actions (PRICE-bearing submits) per minute."""
        limit = self.worker.settings.rate_limit_paid_actions_per_minute
        return _under_limit(self.worker, f"paid:{self.user.id}", limit)


_NO_CALLBACK = Callback("-")


def _under_limit(worker: WorkerState, name: str, per_minute: int) -> bool:
    key = f"aisha:rl:{name}:{int(time.time() // 60)}"
    count = int(worker.redis.incr(key))  # type: ignore[arg-type]
    if count == 1:
        worker.redis.expire(key, 120)
    return count <= per_minute


def under_message_limit(worker: WorkerState, user_id: int) -> tuple[bool, bool]:
    """(allowed, first refusal in this minute) for the per-user message limit."""
    limit = worker.settings.rate_limit_messages_per_minute
    key = f"aisha:rl:msg:{user_id}:{int(time.time() // 60)}"
    count = int(worker.redis.incr(key))  # type: ignore[arg-type]
    if count == 1:
        worker.redis.expire(key, 120)
    return count <= limit, count == limit + 1
