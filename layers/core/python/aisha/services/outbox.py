"""The notification outbox: written with the state change, sent after commit, once per key.

Sending is claim, commit, send, mark sent: a short transaction claims the pending row for a lease
(`claimed_until`), the send runs with no transaction open, and a second short one marks the row sent
the moment Telegram has answered. Two processes finishing the same work cannot both send (the claim
is one conditional UPDATE); a send that fails releases the claim (after Telegram's `retry_after` when
it asked for one) and stays pending for the next sweep; a sender killed between the send and the mark
leaves a claim that lapses, so the message goes out again: at least once, at most one duplicate per kill.
A database that goes away between the send and the mark (a restart, a failover) is waited for, up to
`MARK_PATIENCE_SECONDS`, by the sender that knows the message went: only past that is the claim left to lapse.
A message made of several sends (images, then a notice) notes each one done in its payload, which a
failed attempt writes back, so a resend skips what already went.
What a message looks like, and how it is sent, is the caller's `send` (aisha/telegram/notifier.py):
this module is the table only, so writing a message costs the writer no Telegram client.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from aisha.errors import AishaError, DatabaseUnavailable, UpstreamError
from aisha.models import NOTIFICATION_KINDS

if TYPE_CHECKING:
    from aisha.db import Connection, Database

log = logging.getLogger(__name__)
Send = Callable[[str, int, dict[str, Any]], Coroutine[Any, Any, None]]
RunAsync = Callable[[Coroutine[Any, Any, None]], None]
FORBIDDEN = "telegram_forbidden"  # the error code of a send to a user who blocked the bot
CLAIM_SECONDS = 300  # longer than any send (flood waits included); a lapsed claim means its sender died
MARK_PATIENCE_SECONDS = 15.0  # a PostgreSQL restart takes seconds; every caller's timeout is far longer
MARK_PAUSE_SECONDS = 0.5  # between two tries whose connection failed at once


def enqueue(conn: Connection, key: str, chat_id: int, kind: str, payload: dict[str, Any]) -> bool:
    """Queue a message; False when one with this key already exists."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    cursor = conn.execute(
        """INSERT INTO notifications (key, chat_id, kind, payload) VALUES (%s, %s, %s, %s::jsonb)
           ON CONFLICT (key) DO NOTHING""",
        (key, chat_id, kind, json.dumps(payload)),
    )
    return cursor.rowcount == 1


def claim(db: Database, key: str, *, claim_seconds: float = CLAIM_SECONDS) -> dict[str, Any] | None:
    """Take the pending notification `key` for one sender (committed before the send), or None."""
    with db.transaction() as conn:
        row: dict[str, Any] | None = conn.execute(
            """UPDATE notifications SET claimed_until = now() + make_interval(secs => %s), attempts = attempts + 1
               WHERE key = %s AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= now())
               RETURNING id, chat_id, kind, payload""",
            (claim_seconds, key),
        ).fetchone()
    return row


def deliver(db: Database, key: str, send: Send, run: RunAsync, *, claim_seconds: float = CLAIM_SECONDS,
            mark_patience: float = MARK_PATIENCE_SECONDS) -> bool:
    """Send the pending notification `key`; True if this call sent it."""
    row = claim(db, key, claim_seconds=claim_seconds)
    if row is None:
        return False  # sent already, or another sender holds it
    payload = dict(row["payload"])  # a message of several sends notes the ones done in it
    try:
        run(send(row["kind"], row["chat_id"], payload))
    except (AishaError, OSError) as exc:
        if isinstance(exc, AishaError) and exc.code == FORBIDDEN:  # blocked by the user: given up, not retried
            with db.transaction() as conn:
                conn.execute("UPDATE notifications SET status = 'failed', claimed_until = NULL, last_error = %s "
                             "WHERE id = %s", (str(exc)[:500], row["id"]))
            log.warning("notification %s given up: %s", key, exc, extra={"notification": key})
            return False
        wait = exc.retry_after if isinstance(exc, UpstreamError) and exc.retry_after else 0.0
        with db.transaction() as conn:
            conn.execute("UPDATE notifications SET claimed_until = now() + make_interval(secs => %s), "
                         "last_error = %s, payload = %s::jsonb WHERE id = %s",
                         (wait, str(exc)[:500], json.dumps(payload), row["id"]))
        log.warning("notification %s not sent: %s", key, exc, extra={"notification": key})
        return False
    _mark_sent(db, row["id"], key, mark_patience)
    return True


def _mark_sent(db: Database, row_id: int, key: str, patience: float) -> None:
    """The message went: note it, waiting up to `patience` seconds for a database that went away meanwhile
    (each try waits the pool's timeout for a connection); past that, the error leaves with the claim held."""
    give_up = time.monotonic() + patience
    while True:
        began = time.monotonic()
        try:
            with db.transaction() as conn:
                conn.execute("UPDATE notifications SET status = 'sent', sent_at = now(), claimed_until = NULL "
                             "WHERE id = %s", (row_id,))
            return
        except DatabaseUnavailable as exc:
            now = time.monotonic()
            if now >= give_up:
                raise
            log.warning("notification %s went out but cannot be marked sent yet: %s", key, exc,
                        extra={"notification": key})
        if now - began < MARK_PAUSE_SECONDS:  # failed at once (a connection cut mid-query): not a busy loop
            time.sleep(min(MARK_PAUSE_SECONDS, give_up - now))


def pending_keys(db: Database, *, older_than_seconds: float = 0, limit: int = 100) -> list[str]:
    """Pending notifications nobody holds a live claim on, oldest first."""
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT key FROM notifications WHERE status = 'pending' "
            "AND created_at < now() - make_interval(secs => %s) "
            "AND (claimed_until IS NULL OR claimed_until <= now()) ORDER BY id LIMIT %s",
            (older_than_seconds, limit),
        ).fetchall()
    return [row["key"] for row in rows]
