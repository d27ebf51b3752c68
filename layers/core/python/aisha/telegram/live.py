"""Which bot message of a chat is its live step message: the one message the bot may still edit.

A step of a conversation (a question with its buttons, the menu, the balance screen) is sent as the
chat's newest message and remembered here. A button pressed on it edits it in place; any other message
the bot sends afterwards (a receipt, "training started", a result album, a progress message, a notice)
makes it an old message: it stops being live, and the next step is sent as a new message at the bottom.
Milestones are therefore never edited away. The last step message stays known, live or not, so ending
a conversation with /cancel can still take its buttons off.

The ids sit beside the conversation state (`aisha:chat:<id>:state`), not inside it: the menu is live with
no conversation at all, and the notifier ends "live" without a read-modify-write of the state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

TTL_SECONDS = 2 * 24 * 3600  # Telegram lets bots edit a message for 48 hours


def _key(chat_id: int) -> str:
    return f"aisha:chat:{chat_id}:live"  # a hash: "step" (the last step message), "live" (it is the newest)


def remember(client: redis.Redis, chat_id: int, message_id: int) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.hset(_key(chat_id), mapping={"step": message_id, "live": message_id})
    pipe.expire(_key(chat_id), TTL_SECONDS)
    pipe.execute()


def current(client: redis.Redis, chat_id: int) -> int | None:
    """The live step message: the last step message, if nothing was sent below it since."""
    return _int(client.hget(_key(chat_id), "live"))


def last_step(client: redis.Redis, chat_id: int) -> int | None:
    """The last step message, live or not (a milestone may have come below it)."""
    return _int(client.hget(_key(chat_id), "step"))


def forget(client: redis.Redis, chat_id: int) -> None:
    """Something else went out below the step message: it is no longer live (it is still the last step)."""
    client.hdel(_key(chat_id), "live")


def _int(raw: object) -> int | None:
    return int(raw) if isinstance(raw, (bytes, str)) else None
