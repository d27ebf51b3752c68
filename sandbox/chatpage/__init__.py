"""A Telegram-like chat page for the Telegram stand-in: ``TelegramSandbox(extra_routes=add_chat_page)``."""

from .routes import PAGE_PATHS, STATIC_PREFIX, add_chat_page

__all__ = ["PAGE_PATHS", "STATIC_PREFIX", "add_chat_page"]
