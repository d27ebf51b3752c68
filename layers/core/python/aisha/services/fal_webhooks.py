"""Receiving a FAL webhook: verify, validate, journal, and say whether to hand it on.

Nothing is lost: a refused delivery is journaled with why; an accepted one is journaled before
it is acknowledged; a repeat of a delivery that has not finished processing is handed on again
only once its hand-on lease ran out (the lease is taken as the delivery is journaled, in the same
statement), one that finished is only counted. A refusal is journaled, then raised (WebhookRejected,
ClientError, or Unavailable when FAL's keys cannot be fetched); the handler's edge makes the HTTP answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import msgspec

from aisha.errors import AishaError, ClientError, FalError, Unavailable, WebhookRejected
from aisha.fal.signature import HEADERS, verify_webhook
from aisha.models import FalWebhook, Provider, SignatureOutcome
from aisha.models.body import decode
from aisha.services import journal

if TYPE_CHECKING:
    from aisha.db import Database
    from aisha.fal.jwks import JwksCache

KEEP_HEADERS = (*HEADERS, "content-type", "user-agent", "x-forwarded-for")
JWKS_RETRY_AFTER = 60  # seconds


@dataclass(frozen=True)
class Receipt:
    """An accepted delivery, journaled as `event_id`."""

    request_id: str
    event_id: int
    duplicate: bool
    hand_on: bool  # True: invoke the processing function with event_id


class _Claimed(msgspec.Struct):
    request_id: Any = None


def _claimed_id(headers: Mapping[str, str], body: bytes) -> str | None:
    for name, value in headers.items():
        if name.lower() == "x-fal-webhook-request-id":
            return value[:200]
    try:
        value = decode(body, _Claimed).request_id  # msgspec skips every other field without building it
    except ValueError:  # not JSON, not an object, or nested too deep
        return None
    return str(value)[:200] if value else None


def receive(db: Database, jwks: JwksCache, endpoint: str, headers: Mapping[str, str], body: bytes, *,
            now: float | None = None, hand_on_lease: int = 600) -> Receipt:
    now = time.time() if now is None else now

    def refuse(error: AishaError, outcome: SignatureOutcome) -> NoReturn:
        with db.statement() as conn:
            journal.record_rejection(conn, Provider.FAL, endpoint, _claimed_id(headers, body), headers, body,
                                     keep_headers=KEEP_HEADERS, signature=outcome, error_code=error.code,
                                     error=error.message)
        raise error

    try:
        verified = verify_webhook(headers, body, jwks, now=now)
    except WebhookRejected as rejected:
        refuse(rejected, rejected.outcome)
    except FalError as exc:  # FAL's keys are unreachable: our problem, so FAL should deliver again
        refuse(Unavailable(exc.message, code=exc.code, retry_after=JWKS_RETRY_AFTER), SignatureOutcome.UNCHECKED)
    try:
        hook = FalWebhook.from_json(body)
    except ValueError as exc:  # "Expected `str` of length >= 1 - at `$.request_id`"
        refuse(ClientError(str(exc), code="malformed_body"), SignatureOutcome.VALID)
    if hook.request_id != verified.request_id:
        refuse(ClientError("body request_id differs from the signed header", code="request_id_mismatch"),
               SignatureOutcome.VALID)

    # journaled and its hand-on taken in one statement (one round trip): one hand-on per lease, so repeats
    # while its invocation is queued or its retry waits queue nothing. A worker killed before it queues the
    # processor leaves the lease held: the reconciler hands the delivery on when the lease ends.
    with db.statement() as conn:
        recorded = journal.record_delivery(conn, Provider.FAL, endpoint, hook.request_id, headers, body,
                                           keep_headers=KEEP_HEADERS, hand_on_lease=hand_on_lease)
    return Receipt(hook.request_id, recorded.event.id, duplicate=not recorded.first, hand_on=recorded.hand_on)


def not_handed_on(db: Database, event_id: int) -> None:
    """Queueing the processor failed after the delivery was journaled: FAL's next try hands it on."""
    with db.statement() as conn:
        journal.release_hand_on(conn, event_id)
