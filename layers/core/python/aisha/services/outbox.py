"""The notification outbox: written with the state change, sent after commit, once per key.

Sending holds the row lock (SKIP LOCKED for everyone else), so two processes finishing the same
work cannot both send; a send that fails stays pending for the next sweep. What a message looks
like, and how it is sent, is the caller's `send` (aisha/telegram/notifier.py): this module is the
table only, so writing a message costs the writer no Telegram client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from aisha.errors import TelegramApiError
from aisha.models import NOTIFICATION_KINDS

if TYPE_CHECKING:
    from aisha.db import Connection, Database

log = logging.getLogger(__name__)
Send = Callable[[str, int, dict[str, Any]], Coroutine[Any, Any, None]]
RunAsync = Callable[[Coroutine[Any, Any, None]], None]


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


def deliver(db: Database, key: str, send: Send, run: RunAsync) -> bool:
    """Send the pending notification `key`; True if this call sent it."""
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT id, chat_id, kind, payload FROM notifications WHERE key = %s AND status = 'pending' "
            "FOR UPDATE SKIP LOCKED",
            (key,),
        ).fetchone()
        if row is None:
            return False
        try:
            run(send(row["kind"], row["chat_id"], row["payload"]))
        except (TelegramApiError, OSError) as exc:
            conn.execute("UPDATE notifications SET attempts = attempts + 1, last_error = %s WHERE id = %s",
                         (str(exc)[:500], row["id"]))
            log.warning("notification %s not sent: %s", key, exc, extra={"notification": key})
            return False
        conn.execute("UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1 "
                     "WHERE id = %s", (row["id"],))
        return True


def pending_keys(db: Database, *, older_than_seconds: float = 0, limit: int = 100) -> list[str]:
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT key FROM notifications WHERE status = 'pending' "
            "AND created_at < now() - make_interval(secs => %s) ORDER BY id LIMIT %s",
            (older_than_seconds, limit),
        ).fetchall()
    return [row["key"] for row in rows]
