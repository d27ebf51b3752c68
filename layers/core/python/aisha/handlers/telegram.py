"""The Telegram entry: the webhook function and the per-chat dispatcher function."""

from __future__ import annotations

import logging
from typing import Any

from aisha.errors import AishaError
from aisha.handlers.apigw import headers, json_response, raw_body
from aisha.handlers.process_state import state
from aisha.services import tg_dispatch, tg_webhooks

log = logging.getLogger("aisha.telegram")
DISPATCHER = "tg_dispatch"


def webhook_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /webhook/telegram: secret, journal, dedupe, queue for the chat, answer 2xx fast."""
    worker = state()
    secret = worker.settings.telegram_webhook_secret
    receipt = tg_webhooks.receive(worker.db, worker.redis, secret.get_secret_value() if secret else None,
                                  headers(event), raw_body(event))
    if receipt.chat_id is not None:
        try:
            worker.invoker.invoke_event(DISPATCHER, {"chat_id": receipt.chat_id})
        except AishaError as exc:  # journaled and queued; Telegram's retry triggers the drain again
            log.error("cannot queue the dispatcher: %s", exc, extra={"chat_id": receipt.chat_id})
            return json_response(503, {"error": "queue_unavailable", "message": "try again later"},
                                 {"Retry-After": "5"})
    return json_response(receipt.status, receipt.body)


def dispatch_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event {"chat_id"}: run the chat's queued updates through their handler functions, in order."""
    worker = state()
    chat_id = int(event["chat_id"])
    handled = tg_dispatch.drain_chat(worker.db, worker.redis, chat_id, worker.invoker.invoke_sync)
    return {"chat_id": chat_id, "handled": handled}
