"""Top-ups with Telegram Stars: offers, the invoice, the pre-checkout answer, the credit.

The invoice payload is `topup:<user id>:<coins>:<nonce>`. The pre-checkout answer only checks it
against the configured packages (no database write, so it comes well within Telegram's 10 s); the
coins are credited on `successful_payment`, once per `telegram_payment_charge_id` (the ledger's
idempotency key), with the user's pending top-up bonus if any.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from telegram import LabeledPrice
from telegram.error import BadRequest

from aisha.bot.context import BotContext
from aisha.bot.flows.balance.views import back_rows
from aisha.bot.flows.help import support_contact
from aisha.callbacks import button_data
from aisha.models import LedgerKind
from aisha.services import ledger, promo

log = logging.getLogger(__name__)
CURRENCY = "XTR"  # Telegram Stars: no payment provider, provider_token stays empty


@dataclass(frozen=True)
class Payload:
    user_id: int
    coins: int
    nonce: str

    def encode(self) -> str:
        return f"topup:{self.user_id}:{self.coins}:{self.nonce}"


def parse_payload(raw: str) -> Payload | None:
    parts = raw.split(":")
    if len(parts) != 4 or parts[0] != "topup" or not parts[1].isdigit() or not parts[2].isdigit() or not parts[3]:
        return None
    return Payload(int(parts[1]), int(parts[2]), parts[3])


def stars_for(ctx: BotContext, coins: int) -> int | None:
    return dict(ctx.worker.settings.topup_offers).get(coins)


async def offers(ctx: BotContext, *, edit: bool = False) -> None:
    await ctx.answer_button()
    rows = [[(ctx.t("balance_topup_offer", coins=coins, stars=stars), button_data("balance", "buy", coins))]
            for coins, stars in ctx.worker.settings.topup_offers]
    rows += back_rows(ctx)
    if edit:
        await ctx.edit_or_reply(ctx.t("balance_topup_title"), rows)
    else:
        await ctx.reply(ctx.t("balance_topup_title"), rows)


async def send_invoice(ctx: BotContext, coins: int) -> None:
    stars = stars_for(ctx, coins)
    if stars is None:  # a button from before the packages changed
        await ctx.answer_button(ctx.t("balance_topup_unknown"))
        await offers(ctx)
        return
    await ctx.answer_button()
    payload = Payload(ctx.user.id, coins, secrets.token_hex(8)).encode()
    await ctx.bot.send_invoice(
        ctx.chat_id, title=ctx.t("balance_invoice_title", coins=coins),
        description=ctx.t("balance_invoice_description", coins=coins), payload=payload, currency=CURRENCY,
        prices=[LabeledPrice(ctx.t("balance_invoice_label", coins=coins), stars)], provider_token="",
    )
    ctx.forget_live()  # the invoice is the newest message now


async def pre_checkout(ctx: BotContext) -> None:
    query = ctx.update.pre_checkout_query
    assert query is not None
    payload = parse_payload(query.invoice_payload)
    valid = (payload is not None and payload.user_id == ctx.user.id == query.from_user.id
             and query.currency == CURRENCY and stars_for(ctx, payload.coins) == query.total_amount)
    try:
        if valid:
            await ctx.bot.answer_pre_checkout_query(query.id, ok=True)
        else:
            log.warning("pre-checkout refused", extra={"user_id": ctx.user.id, "payload": query.invoice_payload})
            await ctx.bot.answer_pre_checkout_query(query.id, ok=False,
                                                    error_message=ctx.t("balance_checkout_invalid"))
    except BadRequest as exc:  # too late or already answered: Telegram charges nothing, nothing to replay
        log.warning("pre-checkout answer refused by Telegram: %s", exc.message, extra={"user_id": ctx.user.id})


async def paid(ctx: BotContext) -> None:
    message = ctx.update.message
    assert message is not None and message.successful_payment is not None
    payment = message.successful_payment
    payload = parse_payload(payment.invoice_payload)
    if payload is None or payload.user_id != ctx.user.id or payment.currency != CURRENCY:
        log.error("successful payment with an unknown invoice",
                  extra={"user_id": ctx.user.id, "charge_id": payment.telegram_payment_charge_id,
                         "payload": payment.invoice_payload, "total_amount": payment.total_amount})
        await ctx.milestone(ctx.t("balance_paid_unknown", contact=support_contact(ctx)))
        return
    key = f"stars:{payment.telegram_payment_charge_id}"
    bonus = 0
    with ctx.worker.db.transaction() as conn:
        _, created = ledger.credit_once(conn, ctx.user.id, payload.coins, LedgerKind.TOPUP,
                                        reason=f"telegram stars {payment.total_amount} {CURRENCY}",
                                        idempotency_key=key)
        if created:
            bonus = promo.topup_bonus(conn, ctx.user.id, payload.coins, consume=True)
            if bonus > 0:
                ledger.credit(conn, ctx.user.id, bonus, LedgerKind.BONUS, reason="top-up bonus",
                              idempotency_key=f"{key}:bonus")
        balance = ledger.balance(conn, ctx.user.id)
    if not created:
        body = ctx.t("balance_paid_already", balance=balance)
    elif bonus:
        body = ctx.t("balance_paid_bonus", coins=payload.coins, bonus=bonus, balance=balance)
    else:
        body = ctx.t("balance_paid", coins=payload.coins, balance=balance)
    await ctx.milestone(body, back_rows(ctx))  # the receipt stays: its buttons open new messages
