"""The balance screen and the ledger history, page by page."""

from __future__ import annotations

from datetime import UTC

from aisha.bot.context import BotContext, Keyboard
from aisha.callbacks import button_data
from aisha.models import LedgerEntry
from aisha.services import ledger

PAGE_SIZE = 10


def balance_rows(ctx: BotContext) -> Keyboard:
    return [
        [(ctx.t("balance_button_topup"), button_data("balance", "topup"))],
        [(ctx.t("balance_button_history"), button_data("balance", "history", "0")), (ctx.t("balance_button_promo"),
                                                                                     button_data("balance", "promo"))],
        [(ctx.t("button_menu"), button_data("menu", "show"))],
    ]


def back_rows(ctx: BotContext) -> Keyboard:
    return [[(ctx.t("balance_button_balance"), button_data("balance", "show")), (ctx.t("button_menu"),
                                                                                 button_data("menu", "show"))]]


def current_balance(ctx: BotContext) -> int:
    with ctx.worker.db.transaction() as conn:
        return ledger.balance(conn, ctx.user.id)


async def show_balance(ctx: BotContext, *, edit: bool = False) -> None:
    await ctx.answer_button()
    settings = ctx.worker.settings
    body = ctx.t("balance_title", balance=current_balance(ctx), training=settings.price_training,
                 image=settings.price_image)
    if edit:
        await ctx.edit_or_reply(body, balance_rows(ctx))
    else:
        await ctx.reply(body, balance_rows(ctx))


def history_line(ctx: BotContext, entry: LedgerEntry) -> str:
    when = entry.created_at.astimezone(UTC)  # the history title says UTC, whatever the session time zone
    return ctx.t("balance_history_line", date=when.strftime("%d.%m.%Y %H:%M"),
                 kind=ctx.t(f"balance_kind_{entry.kind.value}"), amount=f"{entry.amount:+d}")


async def show_history(ctx: BotContext, page: int) -> None:
    await ctx.answer_button()
    with ctx.worker.db.transaction() as conn:
        entries = ledger.history(conn, ctx.user.id, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
    if not entries and page > 0:  # the page is gone (or a hand-made callback): start over
        await show_history(ctx, 0)
        return
    if not entries:
        await ctx.edit_or_reply(ctx.t("balance_history_empty"), back_rows(ctx))
        return
    lines = [history_line(ctx, entry) for entry in entries[:PAGE_SIZE]]
    body = "\n".join([ctx.t("balance_history_title", page=page + 1), "", *lines])
    pages: list[tuple[str, str]] = []
    if page > 0:
        pages.append((ctx.t("balance_button_newer"), button_data("balance", "history", page - 1)))
    if len(entries) > PAGE_SIZE:
        pages.append((ctx.t("balance_button_older"), button_data("balance", "history", page + 1)))
    await ctx.edit_or_reply(body, ([pages] if pages else []) + back_rows(ctx))
