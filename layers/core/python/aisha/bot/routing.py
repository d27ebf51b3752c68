"""Which handler function an update goes to: by its kind, command, button or conversation state.

Button callback data is an aisha.callbacks.Callback; its flow names the function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aisha import texts
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


@dataclass(frozen=True)
class Command:
    """A command the bot answers. Listed ones are in Telegram's command menu (setMyCommands) and in /help,
    described by the catalogue entry `command_<name>`; the others are aliases people type anyway."""

    name: str
    function: str
    listed: bool = True

    @property
    def text_key(self) -> str:
        return f"command_{self.name}"


# the one table of commands: routing, /help, the unknown-command answer and setMyCommands all read it
BOT_COMMANDS: tuple[Command, ...] = (
    Command("start", BOT_START), Command("avatar", BOT_AVATAR), Command("generate", BOT_GENERATE),
    Command("gallery", BOT_GALLERY), Command("balance", BOT_BALANCE), Command("topup", BOT_BALANCE),
    Command("promo", BOT_BALANCE), Command("language", BOT_START), Command("help", BOT_HELP),
    Command("cancel", BOT_HELP), Command("paysupport", BOT_HELP), Command("terms", BOT_HELP),
    Command("menu", BOT_START, listed=False), Command("newavatar", BOT_AVATAR, listed=False),
    Command("imagine", BOT_GENERATE, listed=False), Command("avatars", BOT_GALLERY, listed=False),
    Command("images", BOT_GALLERY, listed=False),
)
LISTED_COMMANDS = tuple(c for c in BOT_COMMANDS if c.listed)
COMMANDS = {c.name: c.function for c in BOT_COMMANDS}
FALLBACK = BOT_HELP  # unsupported kinds get a short answer there


def command_of(text: str) -> str | None:
    if not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def command_menu(language: str) -> list[tuple[str, str]]:
    """(command, description) of every listed command in `language`: setMyCommands' list, /help's lines."""
    return [(c.name, texts.text(language, c.text_key)) for c in LISTED_COMMANDS]


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
