"""The main menu, shared by every flow that ends or is cancelled, and the answer to buttons whose
conversation is over (cancelled, done, or expired: each in its own words)."""

from __future__ import annotations

from aisha.bot.context import BotContext, Keyboard
from aisha.callbacks import button_data
from aisha.services import ledger


def menu_button(ctx: BotContext) -> tuple[str, str]:
    """The button back to the main menu, under many answers."""
    return ctx.t("button_menu"), button_data("menu", "show")


def menu_rows(ctx: BotContext) -> Keyboard:
    return [
        [(ctx.t("menu_avatar"), button_data("avatar", "new"))],
        [(ctx.t("menu_generate"), button_data("gen", "new"))],
        [(ctx.t("menu_gallery"), button_data("gallery", "avatars", "0")), (ctx.t("menu_balance"),
                                                                           button_data("balance", "show"))],
        [(ctx.t("menu_language"), button_data("lang", "choose")), (ctx.t("menu_help"), button_data("help", "show"))],
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


ENDING_KEYS = {"cancelled": "session_cancelled", "done": "session_done"}
DONE_KEYS = {"avatar": "session_done_avatar", "gen": "session_done_gen", "gallery": "session_done_gen"}


def ended_words(ctx: BotContext) -> str:
    """Why a button of a finished conversation does nothing: cancelled, done, or expired."""
    ending = ctx.ending()
    if ending is None:
        return ctx.t("session_expired")
    if ending.reason == "done":
        return ctx.t(DONE_KEYS.get(ending.flow, "session_done"))
    return ctx.t(ENDING_KEYS[ending.reason])


async def expired(ctx: BotContext) -> None:
    """A button or answer arrived for a conversation that is over: say why, then the menu at the bottom.

    While another conversation runs, an old button of an earlier one leaves it alone and only says so."""
    if ctx.state is not None and ctx.update.callback_query is not None:
        await ctx.answer_button(ctx.t("button_outdated"))
        return
    await ctx.answer_button()
    words = ended_words(ctx)
    ctx.clear_state()
    await show_menu(ctx, prefix=words)
