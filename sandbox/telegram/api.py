"""The Bot API as a pure call: ``(token, method, params) -> (HTTP status, Telegram's JSON answer)``.

No socket is opened here (except to fetch a photo the bot sends by URL); the aiohttp server, the
webhook-reply path and tests all go through ``BotApi.handle``.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from .config import is_loopback
from .errors import BotApiError, bad_request, not_found, unauthorized
from .params import Params

if TYPE_CHECKING:
    from .core import SandboxCore

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Described:
    """A result that Telegram answers with a ``description`` too (``setWebhook``: "Webhook was set")."""

    result: Any
    description: str


class BotApi:
    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self._session: aiohttp.ClientSession | None = None

    def token_ok(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.core.config.token.encode())

    async def handle(self, token: str, method: str, params: Params) -> tuple[int, dict[str, Any]]:
        from .methods import METHODS

        if not self.token_ok(token):
            return 401, unauthorized().to_dict()
        entry = METHODS.get(method.lower())
        name = entry[0] if entry else method
        try:
            chat_id = params.chat_id(required=False)
        except BotApiError:
            chat_id = None
        files = [upload.info() for upload in params.uploads.values()]
        call = self.core.state.record_call(name, chat_id, params.recorded(), files)
        try:
            if entry is None:
                raise not_found()
            if (fault := self.core.take_fault(name, chat_id)) is not None:
                raise fault
            result = await entry[1](self.core, params)
        except BotApiError as exc:
            self.core.state.finish_call(call, False, error_code=exc.error_code, description=exc.description)
            return exc.error_code, exc.to_dict()
        except Exception as exc:  # a sandbox bug must not look like a network failure to the bot
            _LOG.exception("Bot API method %s failed inside the sandbox", name)
            description = f"Internal Server Error: {type(exc).__name__}: {exc}"
            self.core.state.finish_call(call, False, error_code=500, description=description)
            return 500, {"ok": False, "error_code": 500, "description": description}
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, Described):
            body["result"], body["description"] = result.result, result.description
        else:
            body["result"] = result
        self.core.state.finish_call(call, True, result=body["result"])
        return 200, body

    async def run_webhook_reply(self, reply: dict[str, Any]) -> None:
        """Run the Bot API call a webhook answered with, as Telegram does (its result is not returned)."""
        values = dict(reply)
        method = str(values.pop("method"))
        await self.handle(self.core.config.token, method, Params(values))

    async def fetch_url(self, url: str) -> tuple[bytes, str | None, str | None]:
        """Download a file the bot sent by URL: loopback hosts only unless ``allow_remote_urls``."""
        parts = urlsplit(url)
        if not self.core.config.allow_remote_urls and not is_loopback(parts.hostname or ""):
            raise bad_request("failed to get HTTP URL content")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as response:
                if response.status != 200:
                    raise bad_request("failed to get HTTP URL content")
                data = await response.read()
                name = parts.path.rsplit("/", 1)[-1] or None
                return data, name, response.content_type
        except aiohttp.ClientError:
            raise bad_request("failed to get HTTP URL content") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

