"""Reading the journal (webhook_events) for an operator: search with filters, one event in full."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aisha.db import Connection
from aisha.errors import NotFound

SCAN_BATCH = 500
SCAN_LIMIT = 50_000  # a user filter on Telegram updates reads bodies: bounded, newest first
_COLUMNS = ("id, provider, endpoint, delivery_key, claimed_key, headers, body, signature, status, error_code, "
            "last_error, attempts, processing_attempts, next_retry_at, received_at, last_seen_at, processed_at")
_UPDATE_KINDS = ("message", "edited_message", "callback_query", "pre_checkout_query")


@dataclass(frozen=True)
class Filters:
    provider: str | None = None
    delivery_id: str | None = None  # the provider's key: FAL request id, Telegram update id
    user: int | None = None
    status: tuple[str, ...] = ()
    code: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50


def parse_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # a refused body may be anything, nested deep too
        return None


def telegram_users(update: Any) -> set[int]:
    """The user and chat ids an update concerns (sender and chat)."""
    found: set[int] = set()
    if not isinstance(update, dict):
        return found
    for kind in _UPDATE_KINDS:
        part = update.get(kind)
        if not isinstance(part, dict):
            continue
        for holder in (part.get("from"), part.get("chat"), (part.get("message") or {}).get("chat")):
            if isinstance(holder, dict) and isinstance(holder.get("id"), int):
                found.add(holder["id"])
    return found


def _where(f: Filters, telegram_user_scan: bool) -> tuple[str, list[Any]]:
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if f.provider:
        clauses.append("e.provider = %s")
        params.append(f.provider)
    if f.delivery_id:
        clauses.append("(e.delivery_key = %s OR e.claimed_key = %s)")
        params += [f.delivery_id, f.delivery_id]
    if f.status:
        clauses.append("e.status = ANY(%s)")
        params.append(list(f.status))
    if f.code:
        clauses.append("e.error_code = %s")
        params.append(f.code)
    if f.since:
        clauses.append("e.received_at >= %s")
        params.append(f.since)
    if f.until:
        clauses.append("e.received_at < %s")
        params.append(f.until)
    if f.user is not None:
        # FAL deliveries name their work's request id: the owner is on the avatar or the generation
        fal_owner = ("(e.provider = 'fal' AND (EXISTS (SELECT 1 FROM avatars a WHERE a.fal_request_id = "
                     "COALESCE(e.delivery_key, e.claimed_key) AND a.user_id = %s) OR EXISTS (SELECT 1 FROM "
                     "generations g WHERE g.fal_request_id = COALESCE(e.delivery_key, e.claimed_key) "
                     "AND g.user_id = %s)))")
        params += [f.user, f.user]
        clauses.append(f"({fal_owner} OR e.provider = 'telegram')" if telegram_user_scan else fal_owner)
    return " AND ".join(clauses), params


def search(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Newest first. With a user, Telegram bodies are read and matched here (bounded by SCAN_LIMIT)."""
    scan_telegram = f.user is not None and f.provider in (None, "telegram")
    where, params = _where(f, scan_telegram)
    found: list[dict[str, Any]] = []
    before: int | None = None
    scanned = 0
    while len(found) < f.limit and scanned < SCAN_LIMIT:
        page_where = where + (" AND e.id < %s" if before is not None else "")
        page_params = [*params, *([before] if before is not None else [])]
        rows = conn.execute(f"SELECT {_COLUMNS} FROM webhook_events e WHERE {page_where} ORDER BY e.id DESC LIMIT %s",
                            [*page_params, SCAN_BATCH if scan_telegram else f.limit]).fetchall()
        for row in rows:
            if scan_telegram and row["provider"] == "telegram" and f.user not in telegram_users(
                    parse_body(bytes(row["body"]))):
                continue
            found.append(dict(row))
            if len(found) == f.limit:
                break
        if not scan_telegram or len(rows) < SCAN_BATCH:
            break
        before, scanned = int(rows[-1]["id"]), scanned + len(rows)
    return found


def get(conn: Connection, event_id: int) -> dict[str, Any]:
    row = conn.execute(f"SELECT {_COLUMNS} FROM webhook_events e WHERE id = %s", (event_id,)).fetchone()
    if row is None:
        raise NotFound(f"no journal event {event_id}", code="event_not_found")
    return dict(row)


def work_of(conn: Connection, request_id: str | None) -> dict[str, Any] | None:
    """The training or generation a FAL delivery is about, if any."""
    if not request_id:
        return None
    row = conn.execute(
        "SELECT 'training' AS kind, id, user_id, status FROM avatars WHERE fal_request_id = %s UNION ALL "
        "SELECT 'generation', id, user_id, status FROM generations WHERE fal_request_id = %s LIMIT 1",
        (request_id, request_id)).fetchone()
    return dict(row) if row else None


def parked(conn: Connection, provider: str | None, statuses: tuple[str, ...] = ("parked",),
           limit: int = 200) -> list[dict[str, Any]]:
    return search(conn, Filters(provider=provider, status=statuses, limit=limit))


def waiting(conn: Connection, provider: str | None, limit: int = 500) -> list[dict[str, Any]]:
    """What `list` shows: parked deliveries, and FAL deliveries waiting for their next scheduled try."""
    parked_rows = search(conn, Filters(provider=provider, status=("parked",), limit=limit))
    retrying = (search(conn, Filters(provider="fal", status=("failed",), limit=limit))
                if provider in (None, "fal") else [])
    return sorted(parked_rows + retrying, key=lambda row: -int(row["id"]))[:limit]
