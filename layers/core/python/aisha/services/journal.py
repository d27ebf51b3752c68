"""The webhook event journal: every inbound delivery, accepted or refused, as received.

An accepted delivery is unique on (provider, delivery_key): recording it again counts an attempt
and tells the caller it is a repeat. That makes the journal the idempotency key too.

Storage stays bounded: an accepted body is kept whole (it is processed from the journal), a refused
one only as its first REJECTED_BODY_KEEP bytes; every row records the full body's size and SHA-256.
Old rows are deleted by the retention sweep (services/journal_retention.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aisha.errors import NotFound
from aisha.models import EventStatus, Provider, SignatureOutcome, WebhookEvent

if TYPE_CHECKING:
    from aisha.db import Connection

_COLUMNS = (
    "id, provider, endpoint, delivery_key, claimed_key, headers, body, signature, status, error_code, "
    "last_error, attempts, received_at, last_seen_at, processed_at"
)
_W_COLUMNS = ", ".join(f"w.{name.strip()}" for name in _COLUMNS.split(","))  # of `webhook_events w`
REJECTED_BODY_KEEP = 4096  # bytes of a refused body kept: enough to see what it was, not a storage sink
HEADER_VALUE_KEEP = 1024  # characters of a kept header's value


@dataclass(frozen=True)
class Recorded:
    event: WebhookEvent
    first: bool  # False: this delivery key was journaled before (a retry or a duplicate)
    hand_on: bool = False  # with `hand_on_lease`: this call took the right to queue its processor


def storable(text: str, limit: int = 2000) -> str:
    """Text PostgreSQL accepts whatever a caller put in it: no NUL, no lone surrogate, at most `limit` chars."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _clean_headers(headers: Mapping[str, str], keep: Sequence[str]) -> dict[str, str]:
    wanted = {name.lower() for name in keep}
    return {name.lower(): storable(value, HEADER_VALUE_KEEP) for name, value in headers.items()
            if name.lower() in wanted}


# Taking a FAL delivery's hand-on (the right to queue its processor for a lease): it is open and no lease or
# retry wait is running; a failed or processing one becomes `received`. Used by claim_hand_on and below.
_OPEN_FAL = ("received", "processing", "failed", "unmatched")
_CLAIMABLE = ("webhook_events.status = ANY(%(open)s) AND (webhook_events.next_retry_at IS NULL "
              "OR webhook_events.next_retry_at <= now())")
_CLAIMED_STATUS = ("CASE WHEN webhook_events.status IN ('failed', 'processing') THEN 'received' "
                   "ELSE webhook_events.status END")
# A delivery journaled; given a lease (the FAL webhook), its hand-on taken in the same statement as
# claim_hand_on would take it (a new delivery's lease starts now): one round trip instead of two. Without
# one, the lease is NULL and so is what it computes (next_retry_at stays unset, nothing is taken). now() is
# the statement's one time, so the lease set here is recognised in RETURNING; a repeat whose lease is held
# keeps its own next_retry_at, never exactly that.
_LEASE_END = "now() + make_interval(secs => %(lease)s::int)"
_TAKES = f"%(lease)s::int IS NOT NULL AND {_CLAIMABLE}"
_RECORD = f"""INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, headers, body,
                signature, status, body_size, body_sha256, next_retry_at)
            VALUES (%(provider)s, %(endpoint)s, %(key)s, %(key)s, %(headers)s::jsonb, %(body)s, %(signature)s,
                    'received', %(size)s, %(sha)s, {_LEASE_END})
            ON CONFLICT (provider, delivery_key) DO UPDATE
                SET attempts = webhook_events.attempts + 1, last_seen_at = now(),
                    status = CASE WHEN {_TAKES} THEN {_CLAIMED_STATUS} ELSE webhook_events.status END,
                    next_retry_at = CASE WHEN {_TAKES} THEN {_LEASE_END} ELSE webhook_events.next_retry_at END
            RETURNING {_COLUMNS}, (xmax = 0) AS first,
                      %(lease)s::int IS NOT NULL AND next_retry_at IS NOT DISTINCT FROM {_LEASE_END} AS hand_on"""


def record_delivery(conn: Connection, provider: Provider, endpoint: str, delivery_key: str,
                    headers: Mapping[str, str], body: bytes, *, keep_headers: Sequence[str],
                    signature: SignatureOutcome = SignatureOutcome.VALID,
                    hand_on_lease: int | None = None) -> Recorded:
    """Journal an accepted delivery. With `hand_on_lease` (a FAL delivery), also take its hand-on in the same
    statement, as `claim_hand_on` would right after: `Recorded.hand_on` says whether it was taken."""
    delivery_key = storable(delivery_key, 1000)  # the same key for the same delivery, always storable
    row = conn.execute(_RECORD, {
        "provider": provider.value, "endpoint": endpoint, "key": delivery_key, "body": body,
        "headers": json.dumps(_clean_headers(headers, keep_headers)), "signature": signature.value,
        "size": len(body), "sha": hashlib.sha256(body).hexdigest(), "lease": hand_on_lease,
        "open": list(_OPEN_FAL)}).fetchone()
    assert row is not None
    first = bool(row.pop("first"))
    hand_on = bool(row.pop("hand_on"))
    return Recorded(WebhookEvent.from_row(row), first, hand_on)


def record_rejection(conn: Connection, provider: Provider, endpoint: str, claimed_key: str | None,
                     headers: Mapping[str, str], body: bytes, *, keep_headers: Sequence[str],
                     signature: SignatureOutcome, error_code: str, error: str) -> WebhookEvent:
    row = conn.execute(
        f"""INSERT INTO webhook_events (provider, endpoint, claimed_key, headers, body, signature, status,
                error_code, last_error, body_size, body_sha256)
            VALUES (%s, %s, %s, %s::jsonb, %s, %s, 'rejected', %s, %s, %s, %s) RETURNING {_COLUMNS}""",
        (provider.value, endpoint, storable(claimed_key, 200) if claimed_key is not None else None,
         json.dumps(_clean_headers(headers, keep_headers)), body[:REJECTED_BODY_KEEP], signature.value,
         error_code, storable(error), len(body),
         hashlib.sha256(body).hexdigest()),
    ).fetchone()
    return WebhookEvent.from_row(row)


def get(conn: Connection, event_id: int, *, lock: bool = False) -> WebhookEvent:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_events WHERE id = %s" + (" FOR UPDATE" if lock else ""), (event_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no webhook event {event_id}", code="event_not_found")
    return WebhookEvent.from_row(row)


def begin_dispatch(conn: Connection, event_id: int) -> tuple[WebhookEvent, int | None]:
    """A Telegram update's row taken for one handler run (`processing`, one more try) in one statement:
    (the row, its tries so far), or (the row, None) when it is already processed, parked or refused.

    The row is locked first and its status read from the locked row, so a change being made to it (a
    replay taking it out of `parked`, a dispatch settling it) is waited for and seen, as a locked read
    followed by an update would see it; the UPDATE alone would judge by the status before that change."""
    row = conn.execute(
        f"""WITH locked AS MATERIALIZED (
                SELECT {_COLUMNS} FROM webhook_events WHERE id = %s FOR UPDATE),
            taken AS (
                UPDATE webhook_events w SET status = 'processing',
                       processing_attempts = w.processing_attempts + 1, last_seen_at = now()
                  FROM locked WHERE w.id = locked.id AND locked.status NOT IN ('processed', 'parked', 'rejected')
             RETURNING {_W_COLUMNS}, w.processing_attempts)
            SELECT * FROM taken
            UNION ALL
            SELECT *, NULL FROM locked WHERE NOT EXISTS (SELECT FROM taken)""",
        (event_id,)).fetchone()
    if row is None:
        raise NotFound(f"no webhook event {event_id}", code="event_not_found")
    attempts = row.pop("processing_attempts")
    return WebhookEvent.from_row(row), attempts


def find(conn: Connection, provider: Provider, delivery_key: str) -> WebhookEvent | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_events WHERE provider = %s AND delivery_key = %s",
        (provider.value, delivery_key),
    ).fetchone()
    return WebhookEvent.from_row(row) if row else None


def mark(conn: Connection, event_id: int, status: EventStatus, *, error_code: str | None = None,
         error: str | None = None) -> WebhookEvent:
    done = status in {EventStatus.PROCESSED}
    row = conn.execute(
        f"""UPDATE webhook_events SET status = %s, error_code = COALESCE(%s, error_code),
                last_error = COALESCE(%s, last_error),
                processed_at = CASE WHEN %s THEN now() ELSE processed_at END
            WHERE id = %s RETURNING {_COLUMNS}""",
        (status.value, error_code, error[:2000] if error else None, done, event_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"no webhook event {event_id}", code="event_not_found")
    return WebhookEvent.from_row(row)


def list_by_status(conn: Connection, provider: Provider, statuses: Sequence[EventStatus], *,
                   limit: int = 100) -> list[WebhookEvent]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_events WHERE provider = %s AND status = ANY(%s) ORDER BY id LIMIT %s",
        (provider.value, [s.value for s in statuses], limit),
    ).fetchall()
    return [WebhookEvent.from_row(row) for row in rows]


# --- FAL deliveries: our own retry schedule (see services/fal_retry.py) ------------------------------
# `next_retry_at` is when a `failed` delivery is due again, and for a handed-on one (`received`,
# `processing`) when its lease ends: until then nobody hands it on again, so duplicates of a delivery
# queue no second invocation and a lost invocation is noticed by the reconciler. (The rule for taking a
# hand-on, _CLAIMABLE, is above, where the webhook's record takes it too.)


@dataclass(frozen=True)
class RetryState:
    attempts: int  # processing tries so far
    due: bool  # a handed-on delivery, or a failed one whose wait is over


def claim_hand_on(conn: Connection, event_id: int, lease_seconds: int) -> bool:
    """Take the right to queue this delivery's processor for `lease_seconds`; False when another
    holds it, its retry is not due yet, or it is settled or parked. A failed one becomes `received`."""
    row = conn.execute(
        f"""UPDATE webhook_events
               SET status = {_CLAIMED_STATUS}, next_retry_at = {_LEASE_END}
             WHERE id = %(id)s AND provider = 'fal' AND {_CLAIMABLE}
         RETURNING id""",
        {"lease": lease_seconds, "id": event_id, "open": list(_OPEN_FAL)},
    ).fetchone()
    return row is not None


def retry_state(conn: Connection, event_id: int) -> RetryState:
    row = conn.execute(
        """SELECT processing_attempts,
                  (status IN ('received', 'processing', 'unmatched')
                   OR (status = 'failed' AND COALESCE(next_retry_at, now()) <= now())) AS due
             FROM webhook_events WHERE id = %s""", (event_id,)).fetchone()
    if row is None:
        raise NotFound(f"no webhook event {event_id}", code="event_not_found")
    return RetryState(int(row["processing_attempts"]), bool(row["due"]))


def begin_attempt(conn: Connection, event_id: int, lease_seconds: int) -> int:
    """Count one processing try (the delivery is `processing`, leased); returns the tries so far."""
    row = conn.execute(
        """UPDATE webhook_events SET processing_attempts = processing_attempts + 1, status = 'processing',
                  next_retry_at = now() + make_interval(secs => %s)
            WHERE id = %s RETURNING processing_attempts""", (lease_seconds, event_id)).fetchone()
    if row is None:
        raise NotFound(f"no webhook event {event_id}", code="event_not_found")
    return int(row["processing_attempts"])


def schedule_retry(conn: Connection, event_id: int, delay_seconds: int, *, error_code: str, error: str) -> None:
    conn.execute(
        """UPDATE webhook_events SET status = 'failed', error_code = %s, last_error = %s,
                  next_retry_at = now() + make_interval(secs => %s)
            WHERE id = %s""", (error_code, error[:2000], delay_seconds, event_id))


def settle_fal_siblings(conn: Connection, request_ids: Sequence[str], event_id: int) -> int:
    """Once one delivery settled the work, the others of the same FAL request (the webhook's, the
    reconciler's) have nothing left to do: processed, whatever they were waiting for."""
    cursor = conn.execute(
        """UPDATE webhook_events SET status = 'processed', processed_at = now(), next_retry_at = NULL
            WHERE provider = 'fal' AND delivery_key = ANY(%s) AND id <> %s
              AND status IN ('received', 'processing', 'failed', 'unmatched', 'parked')""",
        (list(request_ids), event_id))
    return cursor.rowcount


def due_fal_deliveries(conn: Connection, *, limit: int = 200) -> list[tuple[int, str, str]]:
    """(id, endpoint, delivery key) of FAL deliveries to hand on now: failed ones whose wait is over,
    handed-on ones whose lease ran out (their invocation was lost or its worker died)."""
    found = conn.execute(
        """SELECT id, endpoint, delivery_key FROM webhook_events
            WHERE provider = 'fal' AND status IN ('received', 'processing', 'failed')
              AND COALESCE(next_retry_at, last_seen_at) <= now()
            ORDER BY next_retry_at NULLS FIRST, id LIMIT %s""", (limit,)).fetchall()
    return [(int(r["id"]), str(r["endpoint"]), str(r["delivery_key"])) for r in found]


def release_hand_on(conn: Connection, event_id: int) -> None:
    """The invocation could not be queued: the next repeat or reconciler run may hand it on at once."""
    conn.execute("UPDATE webhook_events SET next_retry_at = NULL WHERE id = %s AND provider = 'fal' "
                 "AND status IN ('received', 'unmatched')", (event_id,))
