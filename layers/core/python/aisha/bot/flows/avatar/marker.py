"""Remembers, longer than the conversation, that this chat was uploading photos for an avatar.

So a photo that arrives after the conversation expired is told "the session expired" rather than
"photos are not expected here".
"""

from __future__ import annotations

from aisha.bot.context import BotContext

MARKER_TTL_SECONDS = 24 * 3600


def _key(chat_id: int) -> str:
    return f"aisha:avatar:uploading:{chat_id}"


def remember(ctx: BotContext, avatar_id: int) -> None:
    ctx.worker.redis.set(_key(ctx.chat_id), str(avatar_id), ex=MARKER_TTL_SECONDS)


def recall(ctx: BotContext) -> int | None:
    raw = ctx.worker.redis.get(_key(ctx.chat_id))
    return int(raw) if raw is not None else None


def forget(ctx: BotContext) -> None:
    ctx.worker.redis.delete(_key(ctx.chat_id))
