"""POST /webhook/telegram: Telegram delivers updates here."""

from aisha.handlers.telegram import webhook_handler as handler

__all__ = ["handler"]
