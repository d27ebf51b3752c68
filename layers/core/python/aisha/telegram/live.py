"""Which bot message of a chat is its live step message: the one message the bot may still edit.

A step of a conversation (a question with its buttons, the menu, the balance screen) is sent as the
chat's newest message and remembered here. A button pressed on it edits it in place; any other message
the bot sends afterwards (a receipt, "training started", a result album, a progress message, a notice)
makes it an old message, so the id is forgotten and the next step is sent as a new message at the bottom.
Milestones are therefore never edited away.

The id sits beside the conversation state (`aisha:chat:<id>:state`), not inside it: the menu is live with
no conversation at all, and the notifier forgets it without a read-modify-write of the state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

TTL_SECONDS = 2 * 24 * 3600  # Telegram lets bots edit a message for 48 hours


def _key(chat_id: int) -> str:
    return f"aisha:chat:{chat_id}:live"


def remember(client: redis.Redis, chat_id: int, message_id: int) -> None:
    client.set(_key(chat_id), str(message_id), ex=TTL_SECONDS)


def current(client: redis.Redis, chat_id: int) -> int | None:
    raw = client.get(_key(chat_id))
    return int(raw) if raw is not None else None  # type: ignore[arg-type]


def forget(client: redis.Redis, chat_id: int) -> None:
    client.delete(_key(chat_id))
