"""Albums: updates sharing a media_group_id come one after another; they share ONE counter message.

The record lives in Redis (never in process memory: the next photo may reach another worker).
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from redis import Redis

ALBUM_TTL_SECONDS = 600


class Album(BaseModel):
    message_id: int | None = None  # the counter message of this album, edited as photos arrive
    refused: list[str] = Field(default_factory=list)
    answered: bool = False  # an album outside the upload step got its one answer already


def _key(chat_id: int, group: str) -> str:
    return f"aisha:avatar:album:{chat_id}:{group}"


def load(client: Redis, chat_id: int, group: str) -> Album | None:
    raw = client.get(_key(chat_id, group))
    return Album.model_validate_json(raw) if raw is not None else None


def save(client: Redis, chat_id: int, group: str, album: Album) -> None:
    client.set(_key(chat_id, group), album.model_dump_json(), ex=ALBUM_TTL_SECONDS)
