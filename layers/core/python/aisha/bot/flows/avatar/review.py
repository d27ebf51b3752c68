"""Review, confirm (charge and submit in one transaction), add more, cancel."""

from __future__ import annotations

import logging

from aisha.bot.context import BotContext, Keyboard
from aisha.bot.flows.avatar import marker
from aisha.bot.flows.avatar.common import (
    FLOW,
    MIN_PHOTOS,
    PHOTOS,
    REVIEW,
    UPLOADABLE,
    avatar_id_of,
    cancel_row,
    duration,
    load_avatar,
    photo_count,
    status_label,
    uploadable_from_button,
)
from aisha.bot.flows.avatar.counter import counter_rows, counter_text
from aisha.bot.menu import menu_button, show_menu
from aisha.callbacks import button_data
from aisha.errors import AishaError, ClientError, InsufficientFunds, NotFound, UpstreamError
from aisha.functions import FAL_PROCESS_TRAINING
from aisha.models import Avatar, AvatarStatus
from aisha.services import avatars, ledger, photos, promo, submissions

log = logging.getLogger(__name__)


def _price_and_balance(ctx: BotContext) -> tuple[int, int, int]:
    """(price after the user's discount, full price, balance); the discount is not consumed here."""
    full = ctx.worker.settings.price_training
    with ctx.worker.db.transaction() as conn:
        price = promo.discounted_price(conn, ctx.user.id, full, consume=False)
        return price, full, ledger.balance(conn, ctx.user.id)


def _labels(ctx: BotContext, avatar: Avatar) -> dict[str, str]:
    return {"gender": ctx.t(f"avatar_gender_{avatar.gender.value}"),
            "kind": ctx.t(f"avatar_type_{avatar.training_type.value}"),
            "preset": ctx.t(f"avatar_preset_{avatar.preset.value}")}


async def review(ctx: BotContext) -> None:
    avatar_id = avatar_id_of(ctx)
    assert avatar_id is not None
    await ctx.answer_button()
    avatar = load_avatar(ctx, avatar_id)
    with ctx.worker.db.transaction() as conn:
        count = len(photos.list_photos(conn, avatar_id))
        if count >= MIN_PHOTOS and avatar.status is AvatarStatus.PHOTOS_UPLOADING:
            photos.mark_ready(conn, avatar_id, ctx.user.id)
    if count < MIN_PHOTOS:
        ctx.update_state(PHOTOS)
        await ctx.edit_or_reply(ctx.t("avatar_review_too_few", min=MIN_PHOTOS, count=count) + "\n\n"
                                + counter_text(ctx, count), counter_rows(ctx, count, avatar_id))
        return
    price, full, balance = _price_and_balance(ctx)
    lines = [ctx.t("avatar_review", name=avatar.name, count=count, price=price, balance=balance,
                   **_labels(ctx, avatar))]
    if price < full:
        lines.append(ctx.t("avatar_review_discount", full=full))
    rows: Keyboard = [[(ctx.t("avatar_button_confirm"), button_data("avatar", "confirm", avatar_id))],
                      [(ctx.t("avatar_button_more"), button_data("avatar", "more"))], cancel_row(ctx)]
    if balance < price:
        lines.append(ctx.t("avatar_review_short", missing=price - balance))
        rows.insert(1, [(ctx.t("avatar_button_topup"), button_data("balance", "show"))])
    ctx.update_state(REVIEW)
    marker.remember(ctx, avatar_id)
    await ctx.edit_or_reply("\n".join(lines), rows)


async def reopen(ctx: BotContext, argument: str) -> None:
    """avatar:review:<id> with no conversation (it expired, or the balance flow took over for a top-up):
    the button names its avatar, so the review opens again while the avatar still takes photos."""
    avatar = await uploadable_from_button(ctx, argument)
    if avatar is None:
        return
    ctx.set_state(FLOW, REVIEW, avatar_id=avatar.id, name=avatar.name)
    await review(ctx)


async def more(ctx: BotContext) -> None:
    avatar_id = avatar_id_of(ctx)
    assert avatar_id is not None
    await ctx.answer_button()
    ctx.update_state(PHOTOS)
    count = photo_count(ctx, avatar_id)
    body = ctx.t("avatar_send_photos") + "\n\n" + counter_text(ctx, count)
    await ctx.edit_or_reply(body, counter_rows(ctx, count, avatar_id))


async def confirm(ctx: BotContext, argument: str) -> None:
    avatar_id = avatar_id_of(ctx)
    if avatar_id is None or argument != str(avatar_id):
        await ctx.answer_button(ctx.t("avatar_stale_button"))
        return
    await ctx.answer_button()
    if not ctx.allow_paid_action():
        await ctx.reply(ctx.t("paid_rate_limited"))
        return
    s = ctx.worker.settings
    try:
        avatar = submissions.start_training(ctx.worker.db, ctx.worker.storage, ctx.worker.fal, s,
                                            user_id=ctx.user.id, avatar_id=avatar_id)
    except InsufficientFunds:
        price, _, balance = _price_and_balance(ctx)
        await ctx.edit_or_reply(ctx.t("avatar_insufficient", price=price, balance=balance),
                                [[(ctx.t("avatar_button_topup"), button_data("balance", "show"))],
                                 [(ctx.t("avatar_button_review"), button_data("avatar", "review",
                                                                              avatar_id))], cancel_row(ctx)])
        return
    except UpstreamError as exc:
        log.warning("training submit failed: %s", exc, extra={"avatar_id": avatar_id})
        await ctx.reply(ctx.t("avatar_start_failed"),
                        [[(ctx.t("avatar_button_confirm"), button_data("avatar", "confirm", avatar_id))],
                         cancel_row(ctx)])
        return
    except ClientError as exc:
        log.info("training refused: %s", exc, extra={"avatar_id": avatar_id, "code": exc.code})
        status = status_label(ctx, load_avatar(ctx, avatar_id).status)
        await ctx.reply(ctx.t("avatar_not_ready", status=status), [[menu_button(ctx)]])
        return
    _hand_on(ctx, avatar)
    ctx.end_state("done")
    marker.forget(ctx)
    await ctx.retire_pressed()  # the review is finished work: its text stays, its buttons go
    await ctx.milestone(ctx.t("avatar_training_started", name=avatar.name, duration=duration(ctx, avatar.preset)),
                        [[(ctx.t("avatar_button_status"), button_data("avatar", "status", avatar.id))],
                         [(ctx.t("button_menu"), button_data("menu", "show"))]])


def already_submitted(ctx: BotContext, argument: str) -> Avatar | None:
    """Avatar `argument` of this user if it went to training already (or further)."""
    try:
        avatar = load_avatar(ctx, int(argument))
    except (ValueError, NotFound):
        return None
    return avatar if avatar.status in (AvatarStatus.TRAINING, AvatarStatus.COMPLETED, AvatarStatus.ERROR) else None


def _hand_on(ctx: BotContext, avatar: Avatar) -> None:
    """A webhook that beat our commit was journaled as unmatched: process it now."""
    if not avatar.fal_request_id:
        return
    try:
        for event_id in submissions.rematch(ctx.worker.db, avatar.fal_request_id):
            ctx.worker.invoker.invoke_event(FAL_PROCESS_TRAINING, {"event_id": event_id})
    except AishaError as exc:  # the reconciler picks it up later
        log.error("cannot hand on an early webhook: %s", exc, extra={"avatar_id": avatar.id})


async def cancel(ctx: BotContext) -> None:
    """Leave the flow; a draft and its photos are dropped (the avatar ends cancelled)."""
    avatar_id = avatar_id_of(ctx)
    await ctx.answer_button()
    if avatar_id is not None:
        _drop(ctx, avatar_id)
    ctx.end_state("cancelled")
    marker.forget(ctx)
    if not ctx.data:
        await ctx.retire_step()  # /cancel: the step's buttons go, the menu comes below
    await show_menu(ctx, edit=bool(ctx.data), prefix=ctx.t("avatar_cancelled" if avatar_id else "cancelled"))


def _drop(ctx: BotContext, avatar_id: int) -> None:
    bucket = ctx.worker.settings.s3_bucket_photos
    try:
        with ctx.worker.db.transaction() as conn:
            avatar = avatars.get(conn, avatar_id, user_id=ctx.user.id, lock=True)
            if avatar.status not in UPLOADABLE:
                return
            for photo in photos.list_photos(conn, avatar_id):
                photos.remove_photo(conn, ctx.worker.storage, bucket, avatar_id, ctx.user.id, photo.id)
            avatars.transition(conn, avatar_id, AvatarStatus.CANCELLED)
    except AishaError as exc:
        log.warning("cannot cancel avatar %s: %s", avatar_id, exc)
