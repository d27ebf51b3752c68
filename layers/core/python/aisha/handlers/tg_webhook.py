"""The Telegram webhook function: secret, journal, dedupe, queue for the chat, answer 2xx fast.

Loads what that needs and nothing else: no python-telegram-bot (pydantic parses the envelope), no boto3.
"""

from __future__ import annotations

import logging
from typing import Any

from aisha.errors import ClientError, InvokeError, Unavailable
from aisha.functions import TG_DISPATCH
from aisha.handlers.apigw import headers, json_response, raw_body
from aisha.handlers.edge import error_response
from aisha.services import tg_webhooks
from aisha.worker import state

log = logging.getLogger("aisha.telegram")
QUEUE_RETRY_AFTER = 5  # seconds


def webhook_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /webhook/telegram."""
    worker = state()
    secret = worker.settings.telegram_webhook_secret
    try:
        receipt = tg_webhooks.receive(worker.db, worker.redis, secret.get_secret_value() if secret else None,
                                      headers(event), raw_body(event))
        if receipt.chat_id is not None:
            try:
                worker.invoker.invoke_event(TG_DISPATCH, {"chat_id": receipt.chat_id})
            except InvokeError as exc:  # journaled and queued; Telegram's retry triggers the drain again
                log.error("cannot queue the dispatcher: %s", exc, extra={"chat_id": receipt.chat_id})
                raise Unavailable("try again later", code="queue_unavailable",
                                  retry_after=QUEUE_RETRY_AFTER) from exc
    except (ClientError, Unavailable) as exc:
        return error_response(exc)
    body: dict[str, Any] = {"ok": True}
    if receipt.duplicate:
        body["duplicate"] = True
    if receipt.ignored is not None:
        body["ignored"] = receipt.ignored
    if receipt.parked is not None:
        body["parked"] = receipt.parked
    return json_response(200, body)
