"""Conversation state per chat, in Redis with a TTL (never in process memory).

A state that expired is simply absent: the flows then send the user back to the menu. How the last
conversation ended (cancelled, or done: training started, images ordered) is kept a while longer
beside it, so a button of that conversation is answered with what happened rather than "expired";
a new conversation forgets it. Both are msgspec structs: `tg_dispatch` reads the state to route every
update, and starts without pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import msgspec

if TYPE_CHECKING:
    import redis

_PREFIX = "aisha:chat"
ENDING_TTL_SECONDS = 7 * 24 * 3600


class ChatState(msgspec.Struct, kw_only=True):
    flow: str  # the handler flow that owns the conversation: avatar, gen, gallery, balance
    step: str
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class Ending(msgspec.Struct, kw_only=True):
    reason: Literal["cancelled", "done"]
    flow: str


def _key(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:state"


def _ending_key(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:ended"


def load_state(client: redis.Redis, chat_id: int) -> ChatState | None:
    raw = client.get(_key(chat_id))
    if raw is None:
        return None
    try:
        return msgspec.json.decode(raw, type=ChatState)
    except ValueError:
        return None  # a state from an older release: start over rather than crash


def save_state(client: redis.Redis, chat_id: int, state: ChatState, ttl_seconds: int) -> None:
    """Save the conversation; a running conversation has no ending, so an older one is forgotten."""
    pipe = client.pipeline(transaction=False)
    pipe.set(_key(chat_id), msgspec.json.encode(state), ex=ttl_seconds)
    pipe.delete(_ending_key(chat_id))
    pipe.execute()


def clear_state(client: redis.Redis, chat_id: int, ending: Ending | None = None) -> None:
    """Drop the conversation; with `ending`, remember how it ended."""
    if ending is None:
        client.delete(_key(chat_id))
        return
    pipe = client.pipeline(transaction=False)
    pipe.delete(_key(chat_id))
    pipe.set(_ending_key(chat_id), msgspec.json.encode(ending), ex=ENDING_TTL_SECONDS)
    pipe.execute()


def load_ending(client: redis.Redis, chat_id: int) -> Ending | None:
    raw = client.get(_ending_key(chat_id))
    if raw is None:
        return None
    try:
        return msgspec.json.decode(raw, type=Ending)
    except ValueError:
        return None
