"""bot_help: help, cancel (from any state), payment support and terms, unknown commands, and the short
answer to unsupported updates."""

from __future__ import annotations

from aisha.bot.context import BotContext
from aisha.bot.menu import ended_words, expired, menu_button, show_menu
from aisha.bot.routing import COMMANDS, FLOW_FUNCTIONS, command_menu, command_of
from aisha.callbacks import button_data
from aisha.functions import BOT_AVATAR


def command_lines(ctx: BotContext) -> str:
    """The listed commands, one a line, in the user's language (what the command menu shows)."""
    return "\n".join(f"/{name} — {description}" for name, description in command_menu(ctx.lang))


def support_contact(ctx: BotContext) -> str:
    return ctx.worker.settings.support_contact or ctx.t("support_contact_default")


async def handle(ctx: BotContext) -> None:
    command = command_of(ctx.text)
    if command == "cancel" or ctx.callback.flow == "cancel":
        if ctx.data and ctx.state is not None and ctx.callback.action not in ("", ctx.state.flow):
            await expired(ctx)  # the Cancel of an earlier conversation leaves the running one alone
            return
        if ctx.state is not None and FLOW_FUNCTIONS.get(ctx.state.flow) == BOT_AVATAR:
            # /cancel while creating an avatar does what its Cancel button does: the draft and its
            # photos go (imported here only: nothing else of bot_help needs the avatar flow)
            from aisha.bot.flows.avatar.review import cancel

            await cancel(ctx)
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
        await ctx.reply(ctx.t("help", training=s.price_training, image=s.price_image, commands=command_lines(ctx)),
                        [[(ctx.t("button_menu"), button_data("menu", "show"))]])
        return
    if command in ("paysupport", "terms"):
        await ctx.reply(ctx.t(command, contact=support_contact(ctx)), [[menu_button(ctx)]])
        return
    if command is not None and command not in COMMANDS:
        await ctx.reply(ctx.t("unknown_command", command=command[:32], commands=command_lines(ctx)))
        return
    if ctx.update.callback_query is not None:
        # a button this bot cannot read (a stale format, forged data, a number out of range)
        await ctx.answer_button(ctx.t("button_unknown"))
        await show_menu(ctx, edit=True)
        return
    if ctx.update.pre_checkout_query is None:
        await ctx.reply(ctx.t("unsupported"))
