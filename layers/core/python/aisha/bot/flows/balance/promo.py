"""Promo codes: asked for as free text (or `/promo CODE`), redeemed, answered in plain words."""

from __future__ import annotations

from aisha.bot.context import BotContext
from aisha.bot.flows.balance.views import back_rows
from aisha.callbacks import button_data
from aisha.errors import PromoRejected
from aisha.models import PromoKind
from aisha.services import ledger
from aisha.services import promo as promo_service

FLOW, STEP = "balance", "promo_code"
_REASONS = {"promo_not_found", "promo_inactive", "promo_not_started", "promo_expired", "promo_exhausted",
            "promo_already_used"}
_MAX_CODE = 64


def leave(ctx: BotContext) -> None:
    """Stop waiting for a promo code; another flow's conversation (an avatar upload) is left alone."""
    if ctx.state is not None and ctx.state.flow == FLOW:
        ctx.clear_state()


async def ask(ctx: BotContext, *, edit: bool = False) -> None:
    await ctx.answer_button()
    ctx.set_state(FLOW, STEP)
    rows = [[(ctx.t("button_cancel"), button_data("balance", "show"))]]
    if edit:
        await ctx.edit_or_reply(ctx.t("balance_promo_ask"), rows)
    else:
        await ctx.reply(ctx.t("balance_promo_ask"), rows)


async def redeem(ctx: BotContext, raw: str) -> None:
    code = promo_service.normalize(raw)[:_MAX_CODE]
    try:
        with ctx.worker.db.transaction() as conn:
            redeemed = promo_service.redeem(conn, ctx.user.id, code)
            balance = ledger.balance(conn, ctx.user.id)
    except PromoRejected as rejected:
        # the conversation stays on the promo step: the user can correct a typo and send it again
        reason = rejected.code if rejected.code in _REASONS else "promo_rejected"
        await ctx.reply(ctx.t(f"balance_{reason}", code=code), back_rows(ctx))
        return
    if ctx.state is not None and ctx.state.flow == FLOW:
        await ctx.retire_step()  # the question's Cancel button is finished work now
    leave(ctx)
    promo = redeemed.promo
    if promo.kind is PromoKind.COINS:
        body = ctx.t("balance_promo_coins", code=promo.code, coins=promo.value, balance=balance)
    elif promo.kind is PromoKind.BONUS_PERCENT:
        body = ctx.t("balance_promo_bonus", code=promo.code, percent=promo.value)
    else:
        body = ctx.t("balance_promo_discount", code=promo.code, percent=promo.value)
    await ctx.milestone(body, back_rows(ctx))
