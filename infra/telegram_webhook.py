"""Register the bot's webhook with Telegram (or a local Bot API stand-in), show it, or delete it.

    python -m infra.telegram_webhook set [--max-connections 40] [--drop-pending-updates]
    python -m infra.telegram_webhook commands
    python -m infra.telegram_webhook info
    python -m infra.telegram_webhook delete [--drop-pending-updates]

`set` also registers the bot's command menu (setMyCommands), as `commands` does alone: the listed
commands of aisha/bot/routing.py described from the catalogues, in English by default and in Russian
for the language codes whose users the bot answers in Russian.

It reads the functions' own environment: TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET,
TELEGRAM_API_BASE_URL and PUBLIC_BASE_URL (the webhook is `<PUBLIC_BASE_URL>/webhook/telegram`).
The token and the secret are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from infra.cli_env import core_on_path

if TYPE_CHECKING:
    from aisha.config import Settings
    from telegram import Bot

WEBHOOK_PATH = "/webhook/telegram"
# The update kinds the bot handles (aisha/bot/routing.py); Telegram does not send the others.
ALLOWED_UPDATES = ("message", "callback_query", "pre_checkout_query")
# Registering a webhook needs no database or Redis: stand-ins so the shared settings validate.
_NOT_USED = {"DATABASE_URL": "postgresql://not-used/", "REDIS_URL": "redis://not-used"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.telegram_webhook",
                                     description="Set, show or delete the bot's Telegram webhook.")
    commands = parser.add_subparsers(dest="command", required=True)
    set_ = commands.add_parser("set", help=f"setWebhook with <PUBLIC_BASE_URL>{WEBHOOK_PATH} and the secret")
    set_.add_argument("--max-connections", type=int, default=40, choices=range(1, 101), metavar="1..100",
                      help="parallel deliveries Telegram may open (default 40)")
    set_.add_argument("--drop-pending-updates", action="store_true", help="discard updates waiting at Telegram")
    commands.add_parser("commands", help="setMyCommands: the command menu, per language")
    commands.add_parser("info", help="print getWebhookInfo as JSON")
    delete = commands.add_parser("delete", help="deleteWebhook")
    delete.add_argument("--drop-pending-updates", action="store_true", help="discard updates waiting at Telegram")
    return parser


def _settings(environ: Mapping[str, str]) -> Settings:
    core_on_path()
    from aisha.config import load_settings

    return load_settings({**_NOT_USED, **environ})


def webhook_url(settings: Settings) -> str:
    if not settings.public_base_url:
        raise ValueError("PUBLIC_BASE_URL is required to set the webhook")
    return settings.public_base_url.rstrip("/") + WEBHOOK_PATH


def command_menus() -> dict[str, list[tuple[str, str]]]:
    """language_code ("" = everyone else) -> (command, description) pairs, from the bot's command table."""
    core_on_path()  # `make run` (infra.run) calls this too
    from aisha.bot.routing import command_menu
    from aisha.services.users import RUSSIAN_READERS

    menus = {"": command_menu("en")}
    menus.update({code: command_menu("ru") for code in sorted(RUSSIAN_READERS)})
    return menus


async def _set_commands(bot: Bot) -> dict[str, int]:
    from telegram import BotCommand

    menus = command_menus()
    for code, menu in menus.items():
        await bot.set_my_commands([BotCommand(name, description) for name, description in menu],
                                  language_code=code or None)
    return {code or "default": len(menu) for code, menu in menus.items()}


async def _run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from aisha.telegram.bot import make_bot

    async with make_bot(settings) as bot:
        if args.command == "commands":
            return {"commands": await _set_commands(bot)}
        if args.command == "set":
            if settings.telegram_webhook_secret is None:
                raise ValueError("TELEGRAM_WEBHOOK_SECRET is required: the webhook function refuses updates without it")
            url = webhook_url(settings)
            await bot.set_webhook(url, secret_token=settings.telegram_webhook_secret.get_secret_value(),
                                  allowed_updates=list(ALLOWED_UPDATES), max_connections=args.max_connections,
                                  drop_pending_updates=args.drop_pending_updates)
            return {"webhook": "set", "url": url, "allowed_updates": list(ALLOWED_UPDATES),
                    "max_connections": args.max_connections, "drop_pending_updates": args.drop_pending_updates,
                    "commands": await _set_commands(bot)}
        if args.command == "delete":
            await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)
            return {"webhook": "deleted", "drop_pending_updates": args.drop_pending_updates}
        info = await bot.get_webhook_info()
        return info.to_dict()


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    secrets: list[str] = []
    try:
        from infra.cli_env import cli_environ

        settings = _settings(cli_environ() if environ is None else environ)  # over .local/services.env
        secrets = settings.secret_values()
        result = asyncio.run(_run(args, settings))
    except Exception as exc:  # config, network or Bot API errors: one line, nothing secret in it
        print(_redact(f"error: {exc.__class__.__name__}: {exc}", secrets), file=sys.stderr)
        return 1
    print(_redact(json.dumps(result, indent=2, sort_keys=True, default=str), secrets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
