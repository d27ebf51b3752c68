"""Which handler function an update goes to: by its kind, command, button or conversation state.

Button callback data is an aisha.callbacks.Callback; its flow names the function.
"""

from __future__ import annotations

from typing import Any

from aisha.bot.state import ChatState
from aisha.callbacks import Callback
from aisha.functions import BOT_AVATAR, BOT_BALANCE, BOT_GALLERY, BOT_GENERATE, BOT_HELP, BOT_START

FLOW_FUNCTIONS = {
    "start": BOT_START,
    "menu": BOT_START,
    "lang": BOT_START,
    "avatar": BOT_AVATAR,
    "gen": BOT_GENERATE,
    "generate": BOT_GENERATE,
    "gallery": BOT_GALLERY,
    "balance": BOT_BALANCE,
    "help": BOT_HELP,
    "cancel": BOT_HELP,
}
COMMANDS = {
    "start": BOT_START, "menu": BOT_START, "language": BOT_START,
    "help": BOT_HELP, "cancel": BOT_HELP,
    "balance": BOT_BALANCE, "promo": BOT_BALANCE, "topup": BOT_BALANCE,
    "avatar": BOT_AVATAR, "newavatar": BOT_AVATAR,
    "generate": BOT_GENERATE, "imagine": BOT_GENERATE,
    "gallery": BOT_GALLERY, "avatars": BOT_GALLERY, "images": BOT_GALLERY,
}
FALLBACK = BOT_HELP  # unsupported kinds get a short answer there


def command_of(text: str) -> str | None:
    if not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def route(update: dict[str, Any], state: ChatState | None) -> str:
    if update.get("pre_checkout_query"):
        return BOT_BALANCE
    if query := update.get("callback_query"):
        pressed = Callback.parse(str(query.get("data") or ""))
        return FLOW_FUNCTIONS.get(pressed.flow, FALLBACK) if pressed else FALLBACK
    message = update.get("message")
    if not message:
        return FALLBACK
    if message.get("successful_payment"):
        return BOT_BALANCE
    if message.get("photo") or message.get("document"):
        return BOT_AVATAR
    text = message.get("text")
    if not text:
        return FALLBACK
    if (command := command_of(text)) is not None:
        return COMMANDS.get(command, FALLBACK)
    if state is not None:
        return FLOW_FUNCTIONS.get(state.flow, BOT_START)
    return BOT_START
