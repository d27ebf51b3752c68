"""The main menu, shared by every flow that ends or is cancelled."""

from __future__ import annotations

from aisha.bot.context import BotContext, Keyboard
from aisha.services import ledger


def menu_rows(ctx: BotContext) -> Keyboard:
    return [
        [(ctx.t("menu_avatar"), "avatar:new")],
        [(ctx.t("menu_generate"), "gen:new")],
        [(ctx.t("menu_gallery"), "gallery:avatars:0"), (ctx.t("menu_balance"), "balance:show")],
        [(ctx.t("menu_language"), "lang:choose"), (ctx.t("menu_help"), "help:show")],
    ]


async def show_menu(ctx: BotContext, *, edit: bool = False, prefix: str | None = None) -> None:
    with ctx.worker.db.transaction() as conn:
        balance = ledger.balance(conn, ctx.user.id)
    body = ctx.t("menu_title", balance=balance)
    if prefix:
        body = f"{prefix}\n\n{body}"
    if edit:
        await ctx.edit_or_reply(body, menu_rows(ctx))
    else:
        await ctx.reply(body, menu_rows(ctx))


async def expired(ctx: BotContext) -> None:
    """A button or answer arrived for a conversation whose state is gone: back to the menu."""
    await ctx.answer_button()
    ctx.clear_state()
    await show_menu(ctx, prefix=ctx.t("session_expired"))
