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
from .errors import BotApiError, bad_request
from .files import FileStore
from .interactions import DEFAULT_FAULT_DESCRIPTIONS, CallbackQuery, Checkout, Fault
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
        self.faults: list[Fault] = []
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
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def add_fault(self, error_code: int, method: str | None = None, chat_id: int | None = None,
                  description: str | None = None, retry_after: int | None = None, count: int = 1) -> Fault:
        """Make the next ``count`` matching Bot API calls fail with this error (429 carries retry_after)."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        template = description or DEFAULT_FAULT_DESCRIPTIONS.get(error_code, "Injected error")
        fault = Fault(len(self.faults) + 1, method, chat_id, error_code, template.format(retry_after=retry_after),
                      retry_after, count)
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, chat_id: int | None) -> BotApiError | None:
        fault = next((f for f in self.faults if f.matches(method, chat_id)), None)
        if fault is None:
            return None
        fault.remaining -= 1
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        return BotApiError(fault.error_code, fault.description, parameters)

    def reset(self) -> None:
        """Forget chats, calls, files, updates, the webhook and payments; keep the bot's identity."""
        self.dispatcher.reset()
        self.state.reset()
        self.files.clear()
        self.callback_queries.clear()
        self.checkouts.clear()
        self.invoices.clear()
        self.faults.clear()

    async def close(self) -> None:
        await self.dispatcher.close()
        await self.api.close()
