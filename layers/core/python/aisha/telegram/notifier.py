"""Turns an outbox notification into Bot API calls (python-telegram-bot).

The bot waits out short flood control itself (aisha/telegram/flood.py); python-telegram-bot's failures
that remain leave here as TelegramApiError (with Telegram's `retry_after` on flood control), so the
outbox that calls `send` needs no Telegram library to know a send failed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import RetryAfter, TelegramError

from aisha.callbacks import Callback
from aisha.errors import TelegramApiError
from aisha.storage import Storage
from aisha.telegram.flood import retry_seconds
from aisha.texts import shown_prompt, text

Render = Callable[["Notifier", int, dict[str, Any]], Awaitable[None]]


class Notifier:
    def __init__(self, bot: Bot, storage: Storage, images_bucket: str) -> None:
        self.bot = bot
        self.storage = storage
        self.images_bucket = images_bucket

    async def send(self, kind: str, chat_id: int, payload: dict[str, Any]) -> None:
        try:
            await self.bot.initialize()  # a no-op once done
            await RENDERERS[kind](self, chat_id, payload)
        except RetryAfter as exc:
            raise TelegramApiError(str(exc), code="telegram_flood_control", retry_after=retry_seconds(exc)) from exc
        except TelegramError as exc:
            raise TelegramApiError(f"{exc.__class__.__name__}: {exc}") from exc


async def _avatar_ready(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    lang = p.get("language", "ru")
    data = Callback("generate", str(p["avatar_id"])).data  # bot_generate opens with this avatar picked
    button = InlineKeyboardButton(text(lang, "button_generate"), callback_data=data)
    await n.bot.send_message(chat_id, text(lang, "avatar_ready", name=p["name"]),
                             reply_markup=InlineKeyboardMarkup([[button]]))


async def _avatar_failed(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    lang = p.get("language", "ru")
    key = "avatar_failed" if p.get("coins") else "avatar_failed_no_refund"
    await n.bot.send_message(chat_id, text(lang, key, name=p["name"], reason=_reason(lang, p), coins=p.get("coins", 0)))


async def _generation_done(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    """The images, then the notice about hidden ones: two sends, so each one done is noted in the payload
    (`parts_sent`, kept by the outbox when the other fails) and a resend skips it."""
    lang = p.get("language", "ru")
    done: list[str] = p.setdefault("parts_sent", [])
    keys: list[str] = p["keys"]
    hidden = int(p.get("hidden", 0))
    if keys and "images" not in done:
        caption = text(lang, "generation_done", prompt=shown_prompt(lang, p["prompt"]))[:1024]
        photos = [n.storage.get(n.images_bucket, key) for key in keys]
        if len(photos) == 1:
            await n.bot.send_photo(chat_id, photos[0], caption=caption)
        else:
            media = [InputMediaPhoto(data, caption=caption if i == 0 else None) for i, data in enumerate(photos)]
            await n.bot.send_media_group(chat_id, media)
        done.append("images")
    if hidden and "notice" not in done:
        key = "generation_nsfw_hidden" if keys else "generation_all_hidden"
        await n.bot.send_message(chat_id, text(lang, key, count=hidden))
        done.append("notice")


async def _generation_failed(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    lang = p.get("language", "ru")
    await n.bot.send_message(chat_id, text(lang, "generation_failed", reason=_reason(lang, p), coins=p.get("coins", 0)))


async def _bot_call(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    """A bot flow's sendMessage or editMessageText that flood control held back (aisha/telegram/overflow.py)."""
    params = p["params"]
    markup = InlineKeyboardMarkup.de_json(params["reply_markup"], n.bot) if params.get("reply_markup") else None
    entities = {key: params[key] for key in ("parse_mode",) if key in params}
    if p["method"] == "editMessageText":
        await n.bot.edit_message_text(params["text"], chat_id=chat_id, message_id=int(params["message_id"]),
                                      reply_markup=markup, **entities)
    else:
        await n.bot.send_message(chat_id, params["text"], reply_markup=markup, **entities)


def _reason(lang: str, p: dict[str, Any]) -> str:
    # FAL's own error text is for operators (kept on the row); the user gets plain words
    return str(p.get("reason") or text(lang, str(p.get("reason_key") or "reason_unknown")))


RENDERERS: dict[str, Render] = {  # one per NOTIFICATION_KINDS (a unit test checks)
    "avatar_ready": _avatar_ready,
    "avatar_failed": _avatar_failed,
    "generation_done": _generation_done,
    "generation_failed": _generation_failed,
    "bot_call": _bot_call,
}
