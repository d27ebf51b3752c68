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
REJECTED_BODY_KEEP = 4096  # bytes of a refused body kept: enough to see what it was, not a storage sink
HEADER_VALUE_KEEP = 1024  # characters of a kept header's value


@dataclass(frozen=True)
class Recorded:
    event: WebhookEvent
    first: bool  # False: this delivery key was journaled before (a retry or a duplicate)


def storable(text: str, limit: int = 2000) -> str:
    """Text PostgreSQL accepts whatever a caller put in it: no NUL, no lone surrogate, at most `limit` chars."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _clean_headers(headers: Mapping[str, str], keep: Sequence[str]) -> dict[str, str]:
    wanted = {name.lower() for name in keep}
    return {name.lower(): storable(value, HEADER_VALUE_KEEP) for name, value in headers.items()
            if name.lower() in wanted}


def record_delivery(conn: Connection, provider: Provider, endpoint: str, delivery_key: str,
                    headers: Mapping[str, str], body: bytes, *, keep_headers: Sequence[str],
                    signature: SignatureOutcome = SignatureOutcome.VALID) -> Recorded:
    delivery_key = storable(delivery_key, 1000)  # the same key for the same delivery, always storable
    row = conn.execute(
        f"""INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, headers, body,
                signature, status, body_size, body_sha256)
            VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, 'received', %s, %s)
            ON CONFLICT (provider, delivery_key) DO UPDATE
                SET attempts = webhook_events.attempts + 1, last_seen_at = now()
            RETURNING {_COLUMNS}, (xmax = 0) AS first""",
        (provider.value, endpoint, delivery_key, delivery_key, json.dumps(_clean_headers(headers, keep_headers)),
         body, signature.value, len(body), hashlib.sha256(body).hexdigest()),
    ).fetchone()
    assert row is not None
    first = bool(row.pop("first"))
    return Recorded(WebhookEvent.model_validate(row), first)


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
    return WebhookEvent.model_validate(row)


def get(conn: Connection, event_id: int, *, lock: bool = False) -> WebhookEvent:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_events WHERE id = %s" + (" FOR UPDATE" if lock else ""), (event_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no webhook event {event_id}", code="event_not_found")
    return WebhookEvent.model_validate(row)


def find(conn: Connection, provider: Provider, delivery_key: str) -> WebhookEvent | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_events WHERE provider = %s AND delivery_key = %s",
        (provider.value, delivery_key),
    ).fetchone()
    return WebhookEvent.model_validate(row) if row else None


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
    return WebhookEvent.model_validate(row)


def list_by_status(conn: Connection, provider: Provider, statuses: Sequence[EventStatus], *,
                   limit: int = 100) -> list[WebhookEvent]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_events WHERE provider = %s AND status = ANY(%s) ORDER BY id LIMIT %s",
        (provider.value, [s.value for s in statuses], limit),
    ).fetchall()
    return [WebhookEvent.model_validate(row) for row in rows]
