"""Telegram: the Bot API client (python-telegram-bot) and the notification outbox."""
