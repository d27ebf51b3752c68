"""Updates for the bot: numbered, queued per chat, and delivered the way Telegram does.

With a webhook set, each chat has one worker that POSTs that chat's oldest pending update (JSON, with
``X-Telegram-Bot-Api-Secret-Token`` when a secret is set) until the receiver answers 2xx, waiting
``config.retry_delay(n)`` after the n-th failure, so one failing update blocks its chat and no other;
an update older than ``max_update_age`` is dropped. ``max_connections`` bounds deliveries in flight.
Without a webhook the same queue serves ``getUpdates``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .config import SandboxConfig, is_loopback
from .errors import conflict
from .state import SandboxState

ALL_UPDATE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
                    "business_message", "edited_business_message", "deleted_business_messages",
                    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
                    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
                    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
                    "removed_chat_boost")
_OPT_IN_KINDS = ("chat_member", "message_reaction", "message_reaction_count")

ReplyHandler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class UpdateRecord:
    update_id: int
    chat_key: int
    kind: str
    update: dict[str, Any]
    created_at: float
    status: str = "pending"  # pending | delivered | confirmed | dropped | filtered
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"update_id": self.update_id, "chat_id": self.chat_key, "kind": self.kind, "status": self.status,
                "created_at": self.created_at, "attempts": self.attempts, "update": self.update}


@dataclass(frozen=True)
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    set_at: float


class UpdateDispatcher:
    """The update queue of one bot and its webhook deliveries."""

    def __init__(self, config: SandboxConfig, state: SandboxState) -> None:
        self.config = config
        self.state = state
        self.updates: list[UpdateRecord] = []
        self.pending: list[UpdateRecord] = []
        self.webhook: Webhook | None = None
        self.allowed_updates: list[str] | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.reply_handler: ReplyHandler | None = None
        # a random start, as Telegram picks one after a quiet week: a restarted stand-in must not repeat the
        # ids of its last run, which a bot with a persistent seen-set would drop as duplicates
        self._next_update_id = secrets.randbelow(9 * 10**8) + 10**8
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(config.default_max_connections)
        self._session: aiohttp.ClientSession | None = None

    # -- the queue -------------------------------------------------------------------------------------
    def enqueue(self, kind: str, payload: dict[str, Any], chat_key: int) -> UpdateRecord:
        update_id = self._next_update_id
        self._next_update_id += 1
        return self._queue(UpdateRecord(update_id, chat_key, kind, {"update_id": update_id, kind: payload},
                                        self.state.clock()))

    def redeliver(self, update_id: int) -> UpdateRecord | None:
        """Queue an update again with the same update_id, as Telegram sometimes does (bots must dedupe)."""
        original = self.find(update_id)
        if original is None:
            return None
        return self._queue(UpdateRecord(update_id, original.chat_key, original.kind, copy.deepcopy(original.update),
                                        self.state.clock()))

    def _queue(self, record: UpdateRecord) -> UpdateRecord:
        self.updates.append(record)
        self.state.last_activity = record.created_at
        kind, chat_key = record.kind, record.chat_key
        if not self._allowed(kind):
            record.status = "filtered"
        else:
            self.pending.append(record)
            self._kick(chat_key)
        self.state.notifier.notify()
        return record

    def find(self, update_id: int) -> UpdateRecord | None:
        """The latest record with this update_id (a redelivery is a record of its own)."""
        return next((u for u in reversed(self.updates) if u.update_id == update_id), None)

    def _allowed(self, kind: str) -> bool:
        allowed = self.allowed_updates
        return kind not in _OPT_IN_KINDS if not allowed else kind in allowed

    def _finish(self, record: UpdateRecord, status: str) -> None:
        record.status = status
        if record in self.pending:
            self.pending.remove(record)
        self.state.notifier.notify()

    def drop_pending(self) -> None:
        for record in list(self.pending):
            self._finish(record, "dropped")

    # -- webhook ---------------------------------------------------------------------------------------
    def set_webhook(self, url: str, secret_token: str | None, max_connections: int,
                    allowed_updates: list[str] | None, drop_pending: bool) -> None:
        if drop_pending:
            self.drop_pending()
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates or None
        if self.webhook is None or self.webhook.url != url:
            self.last_error_date = self.last_error_message = None
        self.webhook = Webhook(url, secret_token, max_connections, allowed_updates, self.state.clock())
        self._slots = asyncio.Semaphore(max_connections)
        for chat_key in dict.fromkeys(u.chat_key for u in self.pending):
            self._kick(chat_key)

    def delete_webhook(self, drop_pending: bool) -> bool:
        existed = self.webhook is not None
        self.webhook = None
        if drop_pending:
            self.drop_pending()
        return existed

    def info(self) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                                "pending_update_count": len(self.pending)}
        if hook:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    def _kick(self, chat_key: int) -> None:
        if self.webhook is None:
            return
        task = self._workers.get(chat_key)
        if task is None or task.done():
            self._workers[chat_key] = asyncio.get_running_loop().create_task(self._drain(chat_key))

    async def _drain(self, chat_key: int) -> None:
        while True:
            webhook = self.webhook
            head = next((u for u in self.pending if u.chat_key == chat_key), None)
            if webhook is None or head is None:
                return
            if self.state.clock() - head.created_at > self.config.scaled(self.config.max_update_age):
                self._finish(head, "dropped")
                continue
            if await self._attempt(webhook, head):
                self._finish(head, "delivered")
                continue
            await asyncio.sleep(self.config.retry_delay(len(head.attempts)))

    async def _attempt(self, webhook: Webhook, record: UpdateRecord) -> bool:
        started = self.state.clock()
        host = urlsplit(webhook.url).hostname or ""
        if self.config.allow_remote_urls or is_loopback(host):
            async with self._slots:
                status, error, reply = await self._post(webhook, record)
        else:
            status, error, reply = None, "Failed to resolve host: the sandbox delivers to loopback webhooks only", None
        self.state.last_activity = self.state.clock()
        record.attempts.append({"at": started, "duration": self.state.clock() - started, "url": webhook.url,
                                "status": status, "error": error})
        if error is not None:
            self.last_error_date = int(self.state.clock())
            self.last_error_message = error
            self.state.notifier.notify()
            return False
        if reply is not None and self.reply_handler is not None:
            await self.reply_handler(reply)
        return True

    async def _post(self, webhook: Webhook, record: UpdateRecord) -> tuple[int | None, str | None, Any]:
        """One POST of the update: (HTTP status, Telegram's error text or None, a method call in the answer)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.config.delivery_timeout)
        try:
            async with self._session.post(webhook.url, data=json.dumps(record.update), headers=headers,
                                          timeout=timeout, allow_redirects=False) as response:
                body = await response.read()
                if 200 <= response.status < 300:
                    return response.status, None, _method_reply(body, response.content_type)
                wrong = f"Wrong response from the webhook: {response.status} {response.reason or ''}".strip()
                return response.status, wrong, None
        except TimeoutError:
            return None, "Read timeout expired", None
        except aiohttp.ClientConnectorError:
            return None, "Connection refused", None
        except aiohttp.ClientError as exc:
            return None, f"Connection error: {type(exc).__name__}", None

    # -- getUpdates ------------------------------------------------------------------------------------
    async def get_updates(self, offset: int | None, limit: int, timeout: float,
                          allowed_updates: list[str] | None) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                           "the webhook first")
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates or None
        if offset is not None:
            keep = self.pending[offset:] if offset < 0 else [u for u in self.pending if u.update_id >= offset]
            for record in [u for u in self.pending if u not in keep]:
                self._finish(record, "confirmed")
        if timeout > 0:
            await self.state.notifier.wait_for(lambda: bool(self.pending) or self.webhook is not None, timeout)
        return [u.update for u in self.pending[: max(1, min(limit, 100))]]

    # -- lifecycle -------------------------------------------------------------------------------------
    def reset(self) -> None:
        for task in self._workers.values():
            task.cancel()
        self._workers.clear()
        self.updates.clear()
        self.pending.clear()
        self.webhook = None
        self.allowed_updates = None
        self.last_error_date = self.last_error_message = None

    async def close(self) -> None:
        tasks = list(self._workers.values())
        self.reset()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


def _method_reply(body: bytes, content_type: str) -> dict[str, Any] | None:
    """A Bot API call in the webhook's answer (``{"method": "sendMessage", ...}``), which Telegram runs."""
    if content_type != "application/json" or not body:
        return None
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("method"), str) else None
