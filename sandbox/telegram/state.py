"""What one stand-in instance remembers: users, chats with every message both ways, calls, updates.

All of it lives on the instance (no globals) and is touched only from the server's event loop.
``Notifier`` wakes the admin API's long polls whenever anything changes.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["in", "out"]


class Notifier:
    """Wakes every waiter on each change; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self.closed = False

    def close(self) -> None:
        """Release every waiter now and let later ones return at once (the server is stopping)."""
        self.closed = True
        self.notify()

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if self.closed:
                return False
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._event is None:
                self._event = asyncio.Event()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True


@dataclass
class MessageRecord:
    chat_id: int
    message_id: int
    direction: Direction
    message: dict[str, Any]
    rev: int
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"chat_id": self.chat_id, "message_id": self.message_id, "direction": self.direction,
                "rev": self.rev, "deleted": self.deleted, "message": self.message, "edits": self.edits}


@dataclass
class ChatRecord:
    user: dict[str, Any]
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    last_action: dict[str, Any] | None = None
    blocked: bool = False

    @property
    def chat_id(self) -> int:
        return int(self.user["id"])

    def chat(self) -> dict[str, Any]:
        chat = {"id": self.user["id"], "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat

    def summary(self) -> dict[str, Any]:
        last = max(self.messages.values(), key=lambda r: r.message_id, default=None)
        return {"chat": self.chat(), "user": self.user, "message_count": len(self.messages),
                "last_message": last.to_dict() if last else None, "reply_keyboard": self.reply_keyboard,
                "last_action": self.last_action, "blocked": self.blocked}


@dataclass
class CallRecord:
    seq: int
    method: str
    chat_id: int | None
    params: dict[str, Any]
    files: list[dict[str, Any]]
    at: float
    ok: bool = True
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "method": self.method, "chat_id": self.chat_id, "params": self.params,
                "files": self.files, "at": self.at, "ok": self.ok, "result": self.result,
                "error_code": self.error_code, "description": self.description}


class SandboxState:
    """Users, chats, messages and recorded calls of one instance."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.notifier = Notifier()
        self.chats: dict[int, ChatRecord] = {}
        self.calls: list[CallRecord] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.profile: dict[str, Any] = {}
        self.in_flight = 0
        self.last_activity = clock()
        self._rev = 0

    def reset(self) -> None:
        self.chats.clear()
        self.calls.clear()
        self.commands.clear()
        self.profile.clear()
        self._rev = 0
        self.notifier.notify()

    def now(self) -> int:
        return int(self.clock())

    def next_rev(self) -> int:
        self._rev += 1
        return self._rev

    def touch(self) -> int:
        """Mark a change a chat page should see (an answer, an action, a payment) and wake the waiters."""
        rev = self.next_rev()
        self.notifier.notify()
        return rev

    @property
    def rev(self) -> int:
        return self._rev

    def ensure_user(self, user_id: int, profile: dict[str, Any] | None = None) -> ChatRecord:
        """The private chat with this user, created on first contact; ``profile`` updates the user."""
        chat = self.chats.get(user_id)
        if chat is None:
            user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}", "language_code": "ru"}
            chat = self.chats[user_id] = ChatRecord(user=user)
        for key in ("first_name", "last_name", "username", "language_code", "is_premium"):
            if profile and profile.get(key) is not None:
                chat.user[key] = profile[key]
        return chat

    def add_message(self, chat: ChatRecord, direction: Direction, fields: dict[str, Any],
                    sender: dict[str, Any]) -> MessageRecord:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = {"message_id": message_id, "from": sender, "chat": chat.chat(), "date": self.now(), **fields}
        record = MessageRecord(chat.chat_id, message_id, direction, message, self.next_rev())
        chat.messages[message_id] = record
        self.notifier.notify()
        return record

    def edit_message(self, record: MessageRecord, changes: dict[str, Any], removed: tuple[str, ...] = ()) -> None:
        previous = copy.deepcopy(record.message)
        record.edits.append(previous)
        for key in removed:
            record.message.pop(key, None)
        record.message.update(changes)
        record.message["edit_date"] = self.now()
        record.rev = self.next_rev()
        self.notifier.notify()

    def delete_message(self, record: MessageRecord) -> None:
        record.deleted = True
        record.rev = self.next_rev()
        self.notifier.notify()

    def record_call(self, method: str, chat_id: int | None, params: dict[str, Any],
                    files: list[dict[str, Any]]) -> CallRecord:
        record = CallRecord(len(self.calls) + 1, method, chat_id, params, files, self.clock())
        self.calls.append(record)
        self.in_flight += 1
        self.last_activity = record.at
        return record

    def finish_call(self, record: CallRecord, ok: bool, result: Any = None, error_code: int | None = None,
                    description: str | None = None) -> None:
        record.ok, record.result, record.error_code, record.description = ok, result, error_code, description
        self.in_flight -= 1
        self.last_activity = self.clock()
        self.notifier.notify()

    def messages(self, chat_id: int, after: int = 0, since_rev: int = 0,
                 direction: Direction | None = None) -> list[MessageRecord]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [r for r in sorted(chat.messages.values(), key=lambda r: r.message_id)
                if r.message_id > after and r.rev > since_rev and (direction is None or r.direction == direction)]
