"""Which handler function an update goes to: by its kind, command, button or conversation state.

Button callback data is `<flow>:<action>[:<argument>...]`; the flow names the function.
"""

from __future__ import annotations

from typing import Any

from aisha.bot.state import ChatState

FLOW_FUNCTIONS = {
    "start": "bot_start",
    "menu": "bot_start",
    "lang": "bot_start",
    "avatar": "bot_avatar",
    "gen": "bot_generate",
    "generate": "bot_generate",
    "gallery": "bot_gallery",
    "balance": "bot_balance",
    "help": "bot_help",
    "cancel": "bot_help",
}
COMMANDS = {
    "start": "bot_start", "menu": "bot_start", "language": "bot_start",
    "help": "bot_help", "cancel": "bot_help",
    "balance": "bot_balance", "promo": "bot_balance", "topup": "bot_balance",
    "avatar": "bot_avatar", "newavatar": "bot_avatar",
    "generate": "bot_generate", "imagine": "bot_generate",
    "gallery": "bot_gallery", "avatars": "bot_gallery", "images": "bot_gallery",
}
FALLBACK = "bot_help"  # unsupported kinds get a short answer there


def command_of(text: str) -> str | None:
    if not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def route(update: dict[str, Any], state: ChatState | None) -> str:
    if update.get("pre_checkout_query"):
        return "bot_balance"
    if query := update.get("callback_query"):
        flow = str(query.get("data") or "").split(":", 1)[0]
        return FLOW_FUNCTIONS.get(flow, FALLBACK)
    message = update.get("message")
    if not message:
        return FALLBACK
    if message.get("successful_payment"):
        return "bot_balance"
    if message.get("photo") or message.get("document"):
        return "bot_avatar"
    text = message.get("text")
    if not text:
        return FALLBACK
    if (command := command_of(text)) is not None:
        return COMMANDS.get(command, FALLBACK)
    if state is not None:
        return FLOW_FUNCTIONS.get(state.flow, "bot_start")
    return "bot_start"
