"""The FAL webhook functions: verify, validate, journal, queue the processor, answer within FAL's 15 s.

Loads what that needs and nothing else: no Telegram client, no FAL client, no boto3.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aisha.errors import ClientError, InvokeError, Unavailable
from aisha.handlers.apigw import headers, json_response, raw_body
from aisha.handlers.common import request_id_of
from aisha.handlers.edge import error_response
from aisha.services import fal_webhooks
from aisha.worker import state

log = logging.getLogger("aisha.fal")
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
QUEUE_RETRY_AFTER = 30  # seconds; FAL delivers again anyway, this only spaces it


def webhook_handler(endpoint: str, processor: str) -> Handler:
    """POST `endpoint`: a verified, journaled delivery is handed to the function `processor`."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        worker = state()
        extra = {"request_id": request_id_of(context), "endpoint": endpoint}
        try:
            receipt = fal_webhooks.receive(worker.db, worker.jwks, endpoint, headers(event), raw_body(event),
                                           hand_on_lease=worker.settings.fal_hand_on_lease_seconds)
            if receipt.hand_on:
                try:
                    worker.invoker.invoke_event(processor, {"event_id": receipt.event_id})
                except InvokeError as exc:  # journaled, not yet queued: FAL's retry hands it on again
                    log.error("cannot queue processing: %s", exc, extra={**extra, "event_id": receipt.event_id})
                    fal_webhooks.not_handed_on(worker.db, receipt.event_id)
                    raise Unavailable("try again later", code="queue_unavailable",
                                      retry_after=QUEUE_RETRY_AFTER) from exc
        except (ClientError, Unavailable) as exc:  # anything else fails the invocation: a 502, FAL retries
            log.warning("FAL delivery refused: %s", exc.code, extra=extra)
            return error_response(exc)
        body = {"ok": True, "request_id": receipt.request_id, "duplicate": receipt.duplicate}
        log.info("FAL delivery accepted", extra={**extra, "event_id": receipt.event_id, **body})
        return json_response(200, body)

    return handle
