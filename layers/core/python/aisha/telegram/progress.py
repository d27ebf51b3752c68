"""One progress message per training, edited as it advances (its id kept in Redis)."""

from __future__ import annotations

import redis
from telegram import Bot
from telegram.error import BadRequest

from aisha.models import Avatar, AvatarStatus, Progress
from aisha.telegram import live
from aisha.texts import text

_KEY = "aisha:progress:{avatar_id}:{request_id}"  # one message per training run, not per avatar
_TTL = 2 * 24 * 3600


def render(progress: Progress, language: str) -> str:
    name = progress.avatar.name
    if progress.queue_position is not None:
        return text(language, "progress_queued", name=name, position=progress.queue_position)
    filled = progress.percent // 10
    bar = "▓" * filled + "░" * (10 - filled)
    return text(language, "progress_training", name=name, bar=bar, percent=progress.percent)


async def publish(bot: Bot, client: redis.Redis, progress: Progress, language: str) -> bool:
    """Send or edit the avatar's progress message; True when the user saw something new."""
    key = _KEY.format(avatar_id=progress.avatar.id, request_id=progress.avatar.fal_request_id)
    body = render(progress, language)
    known = {_str(k): _str(v) for k, v in client.hgetall(key).items()}
    if known.get("text") == body or "finished" in known:  # a run that read the training before it ended
        return False
    chat_id = progress.avatar.user_id
    try:
        if "message_id" in known:
            message_id = int(known["message_id"])
            await bot.edit_message_text(body, chat_id=chat_id, message_id=message_id)
        else:
            message_id = (await bot.send_message(chat_id, body)).message_id
            live.forget(client, chat_id)  # the step the user was at is no longer the newest message
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return False
        raise
    client.hset(key, mapping={"message_id": message_id, "text": body})
    client.expire(key, _TTL)
    return True


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def finish(bot: Bot, client: redis.Redis, avatar: Avatar, language: str) -> bool:
    """The training ended: its progress message (if one was sent) says so instead of "about 95 %".
    True when it was edited; the message is marked finished either way, so it is finished once."""
    key = _KEY.format(avatar_id=avatar.id, request_id=avatar.fal_request_id)
    known = {_str(k): _str(v) for k, v in client.hgetall(key).items()}
    if "message_id" not in known or "finished" in known:
        return False
    done = avatar.status is AvatarStatus.COMPLETED
    body = text(language, "progress_done" if done else "progress_stopped", name=avatar.name)
    edited = True
    try:
        await bot.edit_message_text(body, chat_id=avatar.user_id, message_id=int(known["message_id"]))
    except BadRequest as exc:  # already says so, or the user deleted it: nothing left to finish
        if not any(words in str(exc).lower() for words in ("not modified", "not found", "can't be edited")):
            raise
        edited = False
    # kept as finished (not deleted): a concurrent run that read the training as running neither sends a
    # new progress message nor has this one finished again
    client.hset(key, "finished", "1")
    client.expire(key, _TTL)
    return edited
