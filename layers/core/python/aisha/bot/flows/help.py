"""bot_help: help, cancel (from any state), and the short answer to unsupported updates."""

from __future__ import annotations

from aisha.bot.context import BotContext
from aisha.bot.menu import ended_words, expired, show_menu
from aisha.bot.routing import command_of


async def handle(ctx: BotContext) -> None:
    command = command_of(ctx.text)
    if command == "cancel" or ctx.callback.flow == "cancel":
        if ctx.data and ctx.state is not None and ctx.callback.action not in ("", ctx.state.flow):
            await expired(ctx)  # the Cancel of an earlier conversation leaves the running one alone
            return
        had_state = ctx.state is not None
        if had_state:
            words = ctx.t("cancelled")
            ctx.end_state("cancelled")
        else:  # a Cancel button of a conversation that is over says how it ended
            words = ended_words(ctx) if ctx.data else ctx.t("nothing_to_cancel")
        await ctx.answer_button()
        if had_state and not ctx.data:
            await ctx.retire_step()  # /cancel: the step's buttons go, the menu comes below
        await show_menu(ctx, edit=bool(ctx.data), prefix=words)
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
