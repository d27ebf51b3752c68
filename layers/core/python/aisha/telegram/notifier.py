"""Turns an outbox notification into Bot API calls (python-telegram-bot).

The bot waits out short flood control itself (aisha/telegram/flood.py); python-telegram-bot's failures
that remain leave here as TelegramApiError (with Telegram's `retry_after` on flood control), so the
outbox that calls `send` needs no Telegram library to know a send failed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import Forbidden, RetryAfter, TelegramError

from aisha.callbacks import Callback, button_data
from aisha.errors import TelegramApiError
from aisha.storage import Storage
from aisha.telegram import live
from aisha.telegram.flood import retry_seconds
from aisha.texts import shown_prompt, text

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("aisha.notifier")
Render = Callable[["Notifier", int, dict[str, Any]], Awaitable[None]]


class Notifier:
    def __init__(self, bot: Bot, storage: Storage, images_bucket: str, redis: Redis | None = None) -> None:
        self.bot = bot
        self.storage = storage
        self.images_bucket = images_bucket
        self.redis = redis  # to forget the chat's live step message (aisha/telegram/live.py)

    async def send(self, kind: str, chat_id: int, payload: dict[str, Any]) -> None:
        try:
            await self.bot.initialize()  # a no-op once done
            await RENDERERS[kind](self, chat_id, payload)
        except RetryAfter as exc:
            raise TelegramApiError(str(exc), code="telegram_flood_control", retry_after=retry_seconds(exc)) from exc
        except Forbidden as exc:  # the user blocked the bot (or deleted the chat): resending cannot help
            raise TelegramApiError(f"Forbidden: {exc}", code="telegram_forbidden") from exc
        except TelegramError as exc:
            raise TelegramApiError(f"{exc.__class__.__name__}: {exc}") from exc
        if self.redis is not None:  # a milestone now sits below the step the user was at
            try:
                live.forget(self.redis, chat_id)
            except Exception as exc:  # Redis away: the message went, it must be marked sent, not resent
                log.warning("cannot forget the live step of chat %s: %s", chat_id, exc)


async def _avatar_ready(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    lang = p.get("language", "ru")
    data = Callback("generate", str(p["avatar_id"])).data  # bot_generate opens with this avatar picked
    button = InlineKeyboardButton(text(lang, "button_generate"), callback_data=data)
    await n.bot.send_message(chat_id, text(lang, "avatar_ready", name=p["name"]),
                             reply_markup=InlineKeyboardMarkup([[button]]))


async def _avatar_failed(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    lang = p.get("language", "ru")
    key = "avatar_failed" if p.get("coins") else "avatar_failed_no_refund"
    await n.bot.send_message(chat_id, text(lang, key, name=p["name"], reason=_reason(lang, p), coins=p.get("coins", 0)),
                             reply_markup=_one_button(text(lang, "menu_avatar"), button_data("avatar", "new")))


async def _generation_done(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    """The images, then the closing notice (what was hidden, what next): two sends, so each one done is
    noted in the payload (`parts_sent`, kept by the outbox when the other fails) and a resend skips it."""
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
    if "notice" not in done:  # the album ends with what to do next (and what was hidden)
        if hidden and keys:
            body = text(lang, "generation_nsfw_hidden", count=hidden)
        elif hidden:
            body = text(lang, "generation_all_hidden", count=hidden)
        else:
            body = text(lang, "generation_next")
        await n.bot.send_message(chat_id, body, reply_markup=_next_steps(lang, p))
        done.append("notice")


def _next_steps(lang: str, p: dict[str, Any]) -> InlineKeyboardMarkup:
    """What a result album ends with: the same order again (priced first), another style, the gallery."""
    rows: list[list[InlineKeyboardButton]] = []
    if p.get("generation_id") is not None:  # older outbox rows carry no ids: the gallery still helps
        again = Callback("gallery", "regen", str(p["generation_id"])).data
        style = Callback("generate", str(p.get("avatar_id") or "none")).data
        rows.append([InlineKeyboardButton(text(lang, "generation_button_again"), callback_data=again),
                     InlineKeyboardButton(text(lang, "generation_button_style"), callback_data=style)])
    else:
        style = button_data("gen", "new")
        rows.append([InlineKeyboardButton(text(lang, "generation_button_style"), callback_data=style)])
    gallery = button_data("gallery", "images", "0")
    rows.append([InlineKeyboardButton(text(lang, "generation_button_gallery"), callback_data=gallery)])
    return InlineKeyboardMarkup(rows)


async def _generation_failed(n: Notifier, chat_id: int, p: dict[str, Any]) -> None:
    lang = p.get("language", "ru")
    await n.bot.send_message(chat_id, text(lang, "generation_failed", reason=_reason(lang, p), coins=p.get("coins", 0)),
                             reply_markup=_one_button(text(lang, "menu_generate"), button_data("gen", "new")))


def _one_button(label: str, data: str) -> InlineKeyboardMarkup:
    """A failure ends with what to do now: try again from the start."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


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
