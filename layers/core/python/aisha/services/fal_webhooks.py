"""Receiving a FAL webhook: verify, validate, journal, and say whether to hand it on.

Nothing is lost: a refused delivery is journaled with why; an accepted one is journaled before
it is acknowledged; a repeat of a delivery that has not finished processing is handed on again
(processing is idempotent), one that finished is only counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from aisha.db import Database
from aisha.errors import FalError
from aisha.fal import HEADERS, JwksCache, WebhookRejected, verify_webhook
from aisha.models import EventStatus, FalWebhook, Provider, SignatureOutcome
from aisha.services import journal

KEEP_HEADERS = (*HEADERS, "content-type", "user-agent", "x-forwarded-for")
_REPROCESS = {EventStatus.RECEIVED, EventStatus.FAILED, EventStatus.UNMATCHED}


@dataclass(frozen=True)
class Receipt:
    status: int
    body: dict[str, Any]
    event_id: int | None = None
    hand_on: bool = False  # True: invoke the processing function with event_id
    headers: dict[str, str] = field(default_factory=dict)


def _claimed_id(headers: Mapping[str, str], body: bytes) -> str | None:
    for name, value in headers.items():
        if name.lower() == "x-fal-webhook-request-id":
            return value[:200]
    try:
        value = json.loads(body).get("request_id")
    except (ValueError, AttributeError):
        return None
    return str(value)[:200] if value else None


def receive(db: Database, jwks: JwksCache, endpoint: str, headers: Mapping[str, str], body: bytes, *,
            now: float | None = None) -> Receipt:
    now = time.time() if now is None else now

    def refuse(status: int, code: str, message: str, outcome: SignatureOutcome) -> Receipt:
        with db.transaction() as conn:
            event = journal.record_rejection(conn, Provider.FAL, endpoint, _claimed_id(headers, body), headers, body,
                                             keep_headers=KEEP_HEADERS, signature=outcome, error_code=code,
                                             error=message)
        extra = {"Retry-After": "60"} if status == 503 else {}
        return Receipt(status, {"error": code, "message": message}, event.id, headers=extra)

    try:
        verified = verify_webhook(headers, body, jwks, now=now)
    except WebhookRejected as rejected:
        return refuse(rejected.status, rejected.code, rejected.message, rejected.outcome)
    except FalError as exc:  # FAL's keys are unreachable: our problem, so FAL should deliver again
        return refuse(503, exc.code, exc.message, SignatureOutcome.UNCHECKED)
    try:
        hook = FalWebhook.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        return refuse(400, "malformed_body", problems, SignatureOutcome.VALID)
    if hook.request_id != verified.request_id:
        return refuse(400, "request_id_mismatch", "body request_id differs from the signed header",
                      SignatureOutcome.VALID)

    with db.transaction() as conn:
        recorded = journal.record_delivery(conn, Provider.FAL, endpoint, hook.request_id, headers, body,
                                           keep_headers=KEEP_HEADERS)
    event = recorded.event
    hand_on = recorded.first or event.status in _REPROCESS
    return Receipt(200, {"ok": True, "request_id": hook.request_id, "duplicate": not recorded.first},
                   event.id, hand_on)
