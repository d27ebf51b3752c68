"""The worker's Bot: python-telegram-bot pointed at TELEGRAM_API_BASE_URL (Telegram or a local stand-in),
waiting out flood control and taking harmless refusals as done (aisha/telegram/flood.py)."""

from __future__ import annotations

from telegram import Bot
from telegram.request import HTTPXRequest

from aisha.config import Settings
from aisha.errors import ConfigError
from aisha.telegram.flood import FloodSafeBot
from aisha.tls import tls_context


def file_base_url(api_base_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot"""
    head, _, _ = api_base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot"


def make_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is required but not set", variables=["TELEGRAM_BOT_TOKEN"])
    shared = {"verify": tls_context()}  # the Bot's two clients would each load the CA bundle (25 ms apiece)
    request = HTTPXRequest(connection_pool_size=8, connect_timeout=5.0, read_timeout=20.0, write_timeout=20.0,
                           media_write_timeout=60.0, httpx_kwargs=shared)
    return FloodSafeBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
        request=request,
        get_updates_request=HTTPXRequest(httpx_kwargs=shared),  # never used by a webhook bot, built anyway
        flood_budget=settings.telegram_flood_wait_seconds,
    )
