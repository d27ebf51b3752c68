"""The Bot API methods the stand-in serves, by lowercase name (Telegram's names are case-insensitive)."""

from __future__ import annotations

from .common import MethodTable
from .media import METHODS as _MEDIA
from .messages import METHODS as _MESSAGES
from .payments import METHODS as _PAYMENTS
from .profile import METHODS as _PROFILE
from .webhook import METHODS as _WEBHOOK

METHODS: MethodTable = {**_MESSAGES, **_MEDIA, **_WEBHOOK, **_PAYMENTS, **_PROFILE}

__all__ = ["METHODS"]
