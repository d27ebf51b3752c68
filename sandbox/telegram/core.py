"""One stand-in instance without its HTTP server: state, files, update queue, the Bot API and the users.

``SandboxCore`` is what the aiohttp app, the in-process runner and tests share; it opens no socket
except to deliver updates to the bot's webhook.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .api import BotApi
from .config import SandboxConfig
from .delivery import UpdateDispatcher
from .errors import bad_request
from .files import FileStore
from .interactions import CallbackQuery, Checkout
from .state import ChatRecord, SandboxState
from .users import UserSimulator


class SandboxCore:
    """Everything one fake Telegram knows about one bot."""

    def __init__(self, config: SandboxConfig | None = None, clock: Callable[[], float] = time.time) -> None:
        self.config = config or SandboxConfig()
        self.state = SandboxState(clock)
        self.files = FileStore()
        self.dispatcher = UpdateDispatcher(self.config, self.state)
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.checkouts: dict[str, Checkout] = {}
        self.invoices: dict[tuple[int, int], dict[str, Any]] = {}
        self.api = BotApi(self)
        self.users = UserSimulator(self)
        self.dispatcher.reply_handler = self.api.run_webhook_reply

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.config.bot_id, "is_bot": True, "first_name": self.config.bot_first_name,
                "username": self.config.bot_username}

    def chat(self, chat_id: int) -> ChatRecord:
        """The chat a bot call names; Telegram's 400 when no user ever talked to the bot there."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def reset(self) -> None:
        """Forget chats, calls, files, updates, the webhook and payments; keep the bot's identity."""
        self.dispatcher.reset()
        self.state.reset()
        self.files.clear()
        self.callback_queries.clear()
        self.checkouts.clear()
        self.invoices.clear()

    async def close(self) -> None:
        await self.dispatcher.close()
        await self.api.close()
