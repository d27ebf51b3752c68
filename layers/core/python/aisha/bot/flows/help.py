"""bot_help: help, cancel (from any state), and the short answer to unsupported updates."""

from __future__ import annotations

from aisha.bot.context import BotContext
from aisha.bot.menu import show_menu
from aisha.bot.routing import command_of


async def handle(ctx: BotContext) -> None:
    command = command_of(ctx.text)
    if command == "cancel" or ctx.callback.flow == "cancel":
        had_state = ctx.state is not None
        ctx.clear_state()
        await ctx.answer_button()
        await show_menu(ctx, edit=bool(ctx.data), prefix=ctx.t("cancelled" if had_state else "nothing_to_cancel"))
        return
    if command == "help" or ctx.callback.flow == "help":
        await ctx.answer_button()
        s = ctx.worker.settings
        await ctx.reply(ctx.t("help", training=s.price_training, image=s.price_image), [[(ctx.t("button_menu"),
                                                                                      "menu:show")]])
        return
    if ctx.update.pre_checkout_query is None:
        await ctx.answer_button()
        await ctx.reply(ctx.t("unsupported"))
