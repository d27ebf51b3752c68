"""The paid end of a generation, shared with the gallery's regenerate: the summary with the price and
the balance, then the submit (charged in the same transaction as FAL's answer)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aisha.bot.context import BotContext, Keyboard
from aisha.bot.menu import menu_button
from aisha.callbacks import button_data
from aisha.db import Connection
from aisha.errors import AishaError, ClientError, InsufficientFunds
from aisha.functions import FAL_PROCESS_GENERATION
from aisha.services import avatars, ledger, promo, submissions
from aisha.texts import shown_prompt

log = logging.getLogger("aisha.bot.generate")
SIZES = ("square_hd", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9")
MAX_IMAGES = 4


@dataclass(frozen=True)
class Order:
    prompt: str
    avatar_id: int | None
    image_size: str = "square_hd"
    count: int = 1
    seed: int | None = None


def avatar_label(ctx: BotContext, conn: Connection, avatar_id: int | None) -> str:
    if avatar_id is None:
        return ctx.t("gen_no_avatar_label")
    return avatars.get(conn, avatar_id, user_id=ctx.user.id).name


def summary(ctx: BotContext, order: Order, confirm_data: str, cancel_data: str = "") -> tuple[str, Keyboard]:
    """The order, its price (discount shown, not used up) and the balance, with Confirm / Cancel (whose
    data names the flow that owns the conversation: gen, or gallery for a regenerate)."""
    full = ctx.worker.settings.price_image * order.count
    with ctx.worker.db.transaction() as conn:
        total = promo.discounted_price(conn, ctx.user.id, full, consume=False)
        balance = ledger.balance(conn, ctx.user.id)
        avatar = avatar_label(ctx, conn, order.avatar_id)
    discount = ctx.t("gen_discount", full=full) if total < full else ""
    body = ctx.t("gen_summary", avatar=avatar, prompt=shown_prompt(ctx.lang, order.prompt),
                 size=ctx.t(f"gen_size_{order.image_size}"), count=order.count,
                 total=total, discount=discount, balance=balance)
    cancel_data = cancel_data or button_data("cancel", "gen")
    rows = [[(ctx.t("gen_confirm", total=total), confirm_data)], [(ctx.t("button_cancel"), cancel_data)]]
    return body, rows


async def submit(ctx: BotContext, order: Order) -> bool:
    """Charge and submit `order`; tell the user what happened. True when FAL has the job."""
    await ctx.answer_button()
    if not ctx.allow_paid_action():
        await ctx.reply(ctx.t("paid_rate_limited"))
        return False
    w = ctx.worker
    try:
        generation = submissions.submit_generation(
            w.db, w.storage, w.fal, w.settings, user_id=ctx.user.id, prompt=order.prompt, num_images=order.count,
            avatar_id=order.avatar_id, image_size=order.image_size, seed=order.seed)
    except InsufficientFunds as exc:
        ctx.clear_state()
        await ctx.edit_or_reply(
            ctx.t("gen_insufficient", total=exc.details.get("required", "?"), balance=exc.details.get("balance", 0)),
            [[(ctx.t("gen_topup"), button_data("balance", "show"))], [menu_button(ctx)]])
        return False
    except ClientError as exc:
        if exc.code not in ("avatar_not_ready", "avatar_not_found"):
            raise
        ctx.clear_state()
        await ctx.edit_or_reply(ctx.t("gen_avatar_unavailable"),
                                [[(ctx.t("menu_generate"), button_data("gen", "new"))]])
        return False
    except AishaError as exc:  # FAL or storage down: nothing was charged (the transaction rolled back)
        log.warning("generation submit failed: %s", exc, extra={"code": exc.code, "user_id": ctx.user.id})
        await ctx.reply(ctx.t("gen_failed_to_start"))
        return False
    ctx.end_state("done")
    if generation.fal_request_id:
        _hand_on_early_webhook(ctx, generation.fal_request_id)
    await ctx.retire_pressed()  # the order is finished work: its text stays, its buttons go
    await ctx.milestone(ctx.t("gen_started", count=order.count), [[menu_button(ctx)]])
    return True


def _hand_on_early_webhook(ctx: BotContext, request_id: str) -> None:
    """A webhook that beat our commit was journaled as unmatched: process it now (else the reconciler will)."""
    try:
        for event_id in submissions.rematch(ctx.worker.db, request_id):
            ctx.worker.invoker.invoke_event(FAL_PROCESS_GENERATION, {"event_id": event_id})
    except AishaError as exc:
        log.warning("cannot hand on an early webhook: %s", exc, extra={"fal_request_id": request_id})
