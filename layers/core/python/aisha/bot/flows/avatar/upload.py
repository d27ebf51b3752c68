"""Photos and image files: each checked and stored, one live counter per album, a reason per refusal."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.error import BadRequest, TelegramError

from aisha.bot.context import BotContext, keyboard
from aisha.bot.flows.avatar import albums, marker
from aisha.bot.flows.avatar.common import (
    MAX_PHOTOS,
    PHOTOS,
    UPLOAD_STEPS,
    avatar_id_of,
    in_flow,
    in_step,
    photo_count,
)
from aisha.bot.flows.avatar.counter import counter_rows, counter_text
from aisha.bot.menu import expired
from aisha.callbacks import button_data
from aisha.errors import ClientError, PhotoRejected
from aisha.images import MAX_PHOTO_BYTES, MIN_SHORT_SIDE
from aisha.services import photos

log = logging.getLogger(__name__)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


async def receive(ctx: BotContext) -> None:
    message = ctx.update.message
    assert message is not None
    group = message.media_group_id
    album = albums.load(ctx.worker.redis, ctx.chat_id, group) if group else None
    avatar_id = avatar_id_of(ctx)
    if not in_step(ctx, *UPLOAD_STEPS) or avatar_id is None:
        await _outside(ctx, group, album)
        return
    try:
        refusal = await _take(ctx, avatar_id, message)
    except ClientError as exc:  # the avatar is gone or no longer takes photos (trained, cancelled)
        log.info("photo for a locked avatar", extra={"avatar_id": avatar_id, "code": exc.code})
        ctx.clear_state()
        marker.forget(ctx)
        if album is None or not album.answered:
            await ctx.reply(ctx.t("avatar_locked"))
        if group:
            albums.save(ctx.worker.redis, ctx.chat_id, group, albums.Album(answered=True))
        return
    count = photo_count(ctx, avatar_id)
    ctx.update_state(PHOTOS)  # also renews the conversation's TTL
    marker.remember(ctx, avatar_id)
    if not group:
        await ctx.reply(counter_text(ctx, count, [refusal] if refusal else None), counter_rows(ctx, count, avatar_id))
        return
    album = album or albums.Album()
    if refusal:
        album.refused.append(refusal)
    body, rows = counter_text(ctx, count, album.refused), counter_rows(ctx, count, avatar_id)
    if album.message_id is None or not await _edit(ctx, album.message_id, body, rows):
        album.message_id = (await ctx.reply(body, rows)).message_id
    albums.save(ctx.worker.redis, ctx.chat_id, group, album)


async def _edit(ctx: BotContext, message_id: int, body: str, rows: list[list[tuple[str, str]]]) -> bool:
    try:
        await ctx.bot.edit_message_text(body, chat_id=ctx.chat_id, message_id=message_id, reply_markup=keyboard(rows))
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        log.warning("cannot edit the album counter: %s", exc)
        return False
    return True


def file_of(message: Message) -> tuple[str, int | None, bool]:
    """(file_id, size if known, whether it may be an image) of a photo or a document."""
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return largest.file_id, largest.file_size, True
    document = message.document
    assert document is not None
    name = (document.file_name or "").lower()
    image = (document.mime_type or "").startswith("image/") or name.endswith(IMAGE_EXTENSIONS)
    return document.file_id, document.file_size, image


async def _take(ctx: BotContext, avatar_id: int, message: Message) -> str | None:
    """Store one photo; the reason in plain words when it is refused, None when accepted."""
    file_id, size, image = file_of(message)
    if not image:
        return ctx.t("avatar_reason_photo_type")
    if size is not None and size > MAX_PHOTO_BYTES:  # Telegram would refuse the download anyway
        return ctx.t("avatar_reason_photo_too_large", size=f"{size / 1048576:.1f}")
    try:
        file = await ctx.bot.get_file(file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("photo download failed: %s", exc, extra={"avatar_id": avatar_id})
        return ctx.t("avatar_reason_download_failed")
    s = ctx.worker.settings
    try:
        with ctx.worker.db.transaction() as conn:
            photos.add_photo(conn, ctx.worker.storage, s.s3_bucket_photos, avatar_id, ctx.user.id, data)
    except PhotoRejected as exc:
        return reason(ctx, exc)
    return None


def reason(ctx: BotContext, exc: PhotoRejected) -> str:
    d = exc.details
    if exc.code == "photo_too_small":
        return ctx.t("avatar_reason_photo_too_small", width=d.get("width"), height=d.get("height"), side=MIN_SHORT_SIDE)
    if exc.code == "photo_too_large":
        return ctx.t("avatar_reason_photo_too_large", size=f"{int(d.get('size_bytes', 0)) / 1048576:.1f}")
    if exc.code == "photo_limit":
        return ctx.t("avatar_reason_photo_limit", max=MAX_PHOTOS)
    if exc.code in ("photo_type", "photo_duplicate"):
        return ctx.t(f"avatar_reason_{exc.code}")
    return ctx.t("avatar_reason_photo_unreadable")


async def _outside(ctx: BotContext, group: str | None, album: albums.Album | None) -> None:
    """A photo outside the upload step: one answer per album (expired, too early, or not now)."""
    if album is not None and album.answered:
        return
    if group:
        albums.save(ctx.worker.redis, ctx.chat_id, group, albums.Album(answered=True))
    if in_flow(ctx):
        await ctx.reply(ctx.t("avatar_photo_too_early"))
    elif ctx.state is None and (marker.recall(ctx) is not None or (album is not None and album.message_id)):
        marker.forget(ctx)  # the conversation of that upload expired
        await expired(ctx)
    else:
        rows = [[(ctx.t("avatar_button_new"), button_data("avatar", "new"))], [(ctx.t("button_menu"),
                                                                                button_data("menu", "show"))]]
        await ctx.reply(ctx.t("avatar_photo_outside"), rows)

