"""bot_start: registration greeting, the main menu, language choice."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from aisha.bot.context import BotContext
from aisha.bot.menu import show_menu
from aisha.bot.routing import command_menu
from aisha.callbacks import button_data
from aisha.models import Language
from aisha.services import users
from aisha.texts import text

log = logging.getLogger("aisha.bot.start")


async def handle(ctx: BotContext) -> None:
    pressed = ctx.callback
    if (pressed.flow, pressed.action) == ("lang", "choose") or ctx.text.startswith("/language"):
        await ctx.answer_button()
        # each language named in itself, from its own catalogue
        choices = [(text(language.value, "language_name"), button_data("lang", "set",
                                                                       language.value)) for language in Language]
        await ctx.edit_or_reply(ctx.t("choose_language"), [choices])
        return
    if (pressed.flow, pressed.action) == ("lang", "set"):
        choice = Language(pressed.argument) if pressed.argument in tuple(Language) else ctx.user.language
        with ctx.worker.db.transaction() as conn:
            users.set_language(conn, ctx.user.id, choice)
        ctx.user = ctx.user.replace(language=choice)
        await ctx.answer_button()
        await _chat_command_menu(ctx)
        await show_menu(ctx, edit=True, prefix=ctx.t("language_set"))
        return
    if pressed.flow == "menu":
        ctx.clear_state()
        await ctx.answer_button()
        await show_menu(ctx, edit=True)
        return
    # /start, /menu, or free text outside any conversation
    ctx.clear_state()
    owed = ctx.created or (ctx.text.startswith("/start") and ctx.user.welcomed_at is None)
    if owed:  # marked once Telegram has it: a kill in between sends it again rather than never
        await ctx.reply(ctx.t("welcome", name=ctx.user.first_name or "👋", bonus=ctx.worker.settings.welcome_bonus))
        with ctx.worker.db.transaction() as conn:
            users.mark_welcomed(conn, ctx.user.id)
    elif ctx.text.startswith("/start"):
        await ctx.reply(ctx.t("welcome_back", name=ctx.user.first_name or "👋"))
    await show_menu(ctx)


async def _chat_command_menu(ctx: BotContext) -> None:
    """This chat's command menu in the language just chosen: Telegram would otherwise keep showing the list
    registered for the client's language. A failure costs only the menu's language, not the switch."""
    commands = [BotCommand(name, description) for name, description in command_menu(ctx.lang)]
    try:
        await ctx.bot.set_my_commands(commands, scope=BotCommandScopeChat(ctx.chat_id))
    except TelegramError as exc:
        log.warning("cannot set the chat's command menu: %s", exc, extra={"user_id": ctx.user.id})
