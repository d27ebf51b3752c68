"""Conversation state per chat, in Redis with a TTL (never in process memory).

A state that expired is simply absent: the flows then send the user back to the menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

if TYPE_CHECKING:
    import redis

_PREFIX = "aisha:chat"


class ChatState(BaseModel):
    flow: str  # the handler flow that owns the conversation: avatar, gen, gallery, balance
    step: str
    data: dict[str, Any] = Field(default_factory=dict)


def _key(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:state"


def load_state(client: redis.Redis, chat_id: int) -> ChatState | None:
    raw = client.get(_key(chat_id))
    if raw is None:
        return None
    try:
        return ChatState.model_validate_json(raw)  # type: ignore[arg-type]
    except ValidationError:
        return None  # a state from an older release: start over rather than crash


def save_state(client: redis.Redis, chat_id: int, state: ChatState, ttl_seconds: int) -> None:
    client.set(_key(chat_id), state.model_dump_json(), ex=ttl_seconds)


def clear_state(client: redis.Redis, chat_id: int) -> None:
    client.delete(_key(chat_id))
