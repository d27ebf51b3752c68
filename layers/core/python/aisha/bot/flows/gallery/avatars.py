"""The gallery's avatars: the list with statuses, one avatar's card, set main, rename, delete."""

from __future__ import annotations

import logging

from aisha.bot.context import BotContext, Keyboard
from aisha.callbacks import button_data
from aisha.errors import AishaError, ClientError, Conflict, NotFound
from aisha.models import Avatar, AvatarStatus
from aisha.services import avatars

log = logging.getLogger("aisha.bot.gallery")
FLOW = "gallery"
PAGE_SIZE = 5
# the avatar flow (bot_avatar) takes these back to their photos with `avatar:continue:<id>`
_CONTINUABLE = {AvatarStatus.DRAFT, AvatarStatus.PHOTOS_UPLOADING, AvatarStatus.READY_FOR_TRAINING}


def pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def nav_row(ctx: BotContext, kind: str, page: int, total_pages: int) -> list[tuple[str, str]]:
    row = []
    if page > 0:
        row.append((ctx.t("gal_button_prev"), button_data("gallery", kind, page - 1)))
    if page + 1 < total_pages:
        row.append((ctx.t("gal_button_next"), button_data("gallery", kind, page + 1)))
    return row


def _main(ctx: BotContext, avatar: Avatar) -> str:
    return ctx.t("gal_main_mark") if avatar.is_main else ""


async def show_list(ctx: BotContext, page: int, *, prefix: str | None = None) -> None:
    with ctx.worker.db.transaction() as conn:
        found = avatars.list_for_user(conn, ctx.user.id)
    total_pages = pages(len(found))
    page = min(max(page, 0), total_pages - 1)
    shown = found[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    if not found:
        body = ctx.t("gal_avatars_empty")
    else:
        lines = [ctx.t("gal_avatar_line", n=page * PAGE_SIZE + i + 1, name=a.name,
                       status=ctx.t(f"gal_status_{a.status.value}"), main=_main(ctx, a))
                 for i, a in enumerate(shown)]
        body = "\n".join([ctx.t("gal_avatars_title", page=page + 1, pages=total_pages), *lines])
    rows: Keyboard = [[(f"{page * PAGE_SIZE + i + 1}. {a.name}", button_data("gallery", "avatar", a.id))] for i, a in
                      enumerate(shown)]
    if nav := nav_row(ctx, "avatars", page, total_pages):
        rows.append(nav)
    if not found:
        rows.append([(ctx.t("menu_avatar"), button_data("avatar", "new"))])
    rows.append([(ctx.t("gal_button_images"), button_data("gallery", "images", "0")), (ctx.t("button_menu"),
                                                                                       button_data("menu", "show"))])
    await ctx.edit_or_reply(f"{prefix}\n\n{body}" if prefix else body, rows)


async def _owned(ctx: BotContext, avatar_id: int) -> Avatar | None:
    """The user's avatar, or None after showing the list with "not found" (deleted meanwhile)."""
    try:
        with ctx.worker.db.transaction() as conn:
            return avatars.get(conn, avatar_id, user_id=ctx.user.id)
    except NotFound:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return None


async def show_card(ctx: BotContext, avatar_id: int, *, prefix: str | None = None) -> None:
    avatar = await _owned(ctx, avatar_id)
    if avatar is None:
        return
    body = ctx.t("gal_avatar_card", name=avatar.name, main=_main(ctx, avatar),
                 status=ctx.t(f"gal_status_{avatar.status.value}"), created=f"{avatar.created_at:%Y-%m-%d}")
    rows: Keyboard = []
    if avatar.status is AvatarStatus.COMPLETED:
        rows.append([(ctx.t("gal_button_generate"), button_data("generate", str(avatar.id)))])
    if avatar.status in _CONTINUABLE:
        rows.append([(ctx.t("gal_button_continue"), button_data("avatar", "continue", avatar.id))])
    if not avatar.is_main:
        rows.append([(ctx.t("gal_button_set_main"), button_data("gallery", "main", avatar.id))])
    rows.append([(ctx.t("gal_button_rename"), button_data("gallery", "rename", avatar.id))])
    if avatar.status is not AvatarStatus.TRAINING:
        rows.append([(ctx.t("gal_button_delete"), button_data("gallery", "adel", avatar.id))])
    rows.append([(ctx.t("gal_button_avatars"), button_data("gallery", "avatars", "0")), (ctx.t("button_menu"),
                                                                                         button_data("menu", "show"))])
    await ctx.edit_or_reply(f"{prefix}\n\n{body}" if prefix else body, rows)


async def set_main(ctx: BotContext, avatar_id: int) -> None:
    try:
        with ctx.worker.db.transaction() as conn:
            avatar = avatars.set_main(conn, ctx.user.id, avatar_id)
    except NotFound:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    await show_card(ctx, avatar_id, prefix=ctx.t("gal_main_set", name=avatar.name))


async def ask_name(ctx: BotContext, avatar_id: int) -> None:
    avatar = await _owned(ctx, avatar_id)
    if avatar is None:
        return
    ctx.set_state(FLOW, "rename", avatar_id=avatar_id)
    cancel = button_data("cancel", "gallery")
    await ctx.reply(ctx.t("gal_ask_name", name=avatar.name), [[(ctx.t("button_cancel"), cancel)]])


async def take_name(ctx: BotContext, avatar_id: int, name: str) -> None:
    try:
        with ctx.worker.db.transaction() as conn:
            avatar = avatars.rename(conn, ctx.user.id, avatar_id, name)
    except NotFound:
        ctx.clear_state()
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    except ClientError:
        await ctx.reply(ctx.t("gal_bad_name"), [[(ctx.t("button_cancel"), button_data("cancel", "gallery"))]])
        return
    ctx.clear_state()
    await show_card(ctx, avatar_id, prefix=ctx.t("gal_renamed", name=avatar.name))


async def ask_delete(ctx: BotContext, avatar_id: int) -> None:
    avatar = await _owned(ctx, avatar_id)
    if avatar is None:
        return
    if avatar.status is AvatarStatus.TRAINING:
        await show_card(ctx, avatar_id, prefix=ctx.t("gal_avatar_training"))
        return
    rows: Keyboard = [[(ctx.t("gal_button_confirm_delete"), button_data("gallery", "adel_ok", avatar_id))],
                      [(ctx.t("button_back"), button_data("gallery", "avatar", avatar_id))]]
    await ctx.edit_or_reply(ctx.t("gal_confirm_delete_avatar", name=avatar.name), rows)


async def delete(ctx: BotContext, avatar_id: int) -> None:
    w = ctx.worker
    try:
        with w.db.transaction() as conn:
            name = avatars.get(conn, avatar_id, user_id=ctx.user.id).name
            keys = avatars.delete(conn, ctx.user.id, avatar_id)
    except NotFound:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    except Conflict:
        await show_card(ctx, avatar_id, prefix=ctx.t("gal_avatar_training"))
        return
    prefix = f"{ctx.user.id}/avatars/{avatar_id}/"  # also the training archive and anything not in a row
    for bucket in (w.settings.s3_bucket_photos, w.settings.s3_bucket_loras):
        try:
            leftovers = [k for k in w.storage.list_keys(bucket, prefix) if k not in keys]
            for key in [*keys, *leftovers]:
                w.storage.delete(bucket, key)
        except AishaError as exc:  # the rows are gone; an orphan object is logged, not shown
            log.warning("cannot delete avatar objects: %s", exc, extra={"bucket": bucket, "prefix": prefix})
    await show_list(ctx, 0, prefix=ctx.t("gal_avatar_deleted", name=name))
