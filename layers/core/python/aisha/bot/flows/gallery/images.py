"""The gallery's generated images: the list by pages, one generation (its images from the bucket and
its prompt), regenerate with the same parameters (priced, confirmed), delete."""

from __future__ import annotations

import logging

from telegram import InputMediaPhoto

from aisha.bot.context import BotContext, Keyboard
from aisha.bot.flows.gallery.avatars import FLOW, PAGE_SIZE, nav_row, pages
from aisha.bot.flows.generate import Order, submit, summary
from aisha.bot.menu import menu_button
from aisha.callbacks import button_data
from aisha.errors import AishaError, Conflict, NotFound
from aisha.models import Generation, GenerationImage
from aisha.services import generations
from aisha.texts import shown_prompt

log = logging.getLogger("aisha.bot.gallery")
CAPTION_LIMIT = 1024
_LINE_PROMPT = 40


def _short(prompt: str, limit: int = _LINE_PROMPT) -> str:
    return prompt if len(prompt) <= limit else prompt[:limit - 1] + "…"


async def show_list(ctx: BotContext, page: int, *, prefix: str | None = None) -> None:
    with ctx.worker.db.transaction() as conn:
        total = generations.count_for_user(conn, ctx.user.id)
        total_pages = pages(total)
        page = min(max(page, 0), total_pages - 1)
        shown = generations.list_for_user(conn, ctx.user.id, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    if not shown:
        body = ctx.t("gal_images_empty")
    else:
        lines = [ctx.t("gal_image_line", n=page * PAGE_SIZE + i + 1, prompt=_short(shown_prompt(ctx.lang, g.prompt)),
                       status=ctx.t(f"gal_gstatus_{g.status.value}"), date=f"{g.created_at:%Y-%m-%d}")
                 for i, g in enumerate(shown)]
        body = "\n".join([ctx.t("gal_images_title", page=page + 1, pages=total_pages), *lines])
    rows: Keyboard = [[(f"{page * PAGE_SIZE + i + 1}. {_short(shown_prompt(ctx.lang, g.prompt), 30)}",
                        button_data("gallery", "image", g.id))] for i, g in enumerate(shown)]
    if nav := nav_row(ctx, "images", page, total_pages):
        rows.append(nav)
    if not shown:
        rows.append([(ctx.t("menu_generate"), button_data("gen", "new"))])
    rows.append([(ctx.t("gal_button_avatars"), button_data("gallery", "avatars", "0")), (ctx.t("button_menu"),
                                                                                         button_data("menu", "show"))])
    await ctx.edit_or_reply(f"{prefix}\n\n{body}" if prefix else body, rows)


def _load(ctx: BotContext, generation_id: int) -> tuple[Generation, list[GenerationImage]] | None:
    try:
        with ctx.worker.db.transaction() as conn:
            generation = generations.get(conn, generation_id, user_id=ctx.user.id)
            return generation, generations.images(conn, generation_id)
    except NotFound:
        return None


async def view(ctx: BotContext, generation_id: int) -> None:
    """Send the stored images (a photo or an album) with the prompt, then the card with its actions."""
    loaded = _load(ctx, generation_id)
    if loaded is None:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    generation, stored = loaded
    prompt = shown_prompt(ctx.lang, generation.prompt)  # a style preset in the user's language
    caption = prompt[:CAPTION_LIMIT]
    try:
        photos = [ctx.worker.storage.get(ctx.worker.settings.s3_bucket_images, image.s3_key) for image in stored]
    except AishaError as exc:
        log.warning("cannot read stored images: %s", exc, extra={"generation_id": generation_id})
        photos = []
    if len(photos) == 1:
        await ctx.bot.send_photo(ctx.chat_id, photos[0], caption=caption)
    elif photos:
        await ctx.bot.send_media_group(ctx.chat_id, [InputMediaPhoto(data, caption=caption if i == 0 else None)
                                                     for i, data in enumerate(photos)])
    body = ctx.t("gal_generation_card", prompt=_short(prompt, 500),
                 status=ctx.t(f"gal_gstatus_{generation.status.value}"), count=len(stored),
                 date=f"{generation.created_at:%Y-%m-%d %H:%M}")
    rows: Keyboard = [[(ctx.t("gal_button_regenerate"), button_data("gallery", "regen", generation_id))],
                      [(ctx.t("gal_button_delete"), button_data("gallery", "gdel", generation_id))],
                      [(ctx.t("gal_button_images"), button_data("gallery", "images", "0")), menu_button(ctx)]]
    await ctx.reply(body, rows)


def _order(generation: Generation) -> Order:
    params = generation.params
    seed = params.get("seed")
    return Order(prompt=generation.prompt, avatar_id=generation.avatar_id,
                 image_size=str(params.get("image_size") or "square_hd"), count=generation.num_images,
                 seed=int(seed) if seed is not None else None)


async def ask_regenerate(ctx: BotContext, generation_id: int) -> None:
    loaded = _load(ctx, generation_id)
    if loaded is None:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    try:
        body, rows = summary(ctx, _order(loaded[0]), button_data("gallery", "regen_ok", generation_id),
                             button_data("cancel", FLOW))
    except NotFound:  # the avatar went away between the two reads
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    ctx.set_state(FLOW, "regenerate", generation_id=generation_id)  # one confirm per summary
    await ctx.edit_or_reply(body, rows)


async def regenerate(ctx: BotContext, generation_id: int) -> None:
    loaded = _load(ctx, generation_id)
    if loaded is None:
        ctx.clear_state()
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    await submit(ctx, _order(loaded[0]))


async def ask_delete(ctx: BotContext, generation_id: int) -> None:
    loaded = _load(ctx, generation_id)
    if loaded is None:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    rows: Keyboard = [[(ctx.t("gal_button_confirm_delete"), button_data("gallery", "gdel_ok", generation_id))],
                      [(ctx.t("button_back"), button_data("gallery", "images", "0"))]]
    await ctx.edit_or_reply(ctx.t("gal_confirm_delete_generation", count=len(loaded[1])), rows)


async def delete(ctx: BotContext, generation_id: int) -> None:
    w = ctx.worker
    try:
        with w.db.transaction() as conn:
            keys = generations.delete(conn, ctx.user.id, generation_id)
    except NotFound:
        await show_list(ctx, 0, prefix=ctx.t("gal_not_found"))
        return
    except Conflict:
        await show_list(ctx, 0, prefix=ctx.t("gal_generation_running"))
        return
    for key in keys:
        try:
            w.storage.delete(w.settings.s3_bucket_images, key)
        except AishaError as exc:  # the rows are gone; an orphan object is logged, not shown
            log.warning("cannot delete an image: %s", exc, extra={"key": key})
    await show_list(ctx, 0, prefix=ctx.t("gal_generation_deleted"))
