"""POST /webhook/telegram: Telegram delivers updates here."""

from aisha.handlers.tg_webhook import webhook_handler as handler

__all__ = ["handler"]
