"""Handing a parked delivery back to the function that processes it, through the Invoke API.

A FAL delivery goes to its processor (`fal_process_training` or `fal_process_generation`) as an Event
`{"event_id": N}`, the same invocation the webhook function makes; a Telegram update goes back on its
chat's queue and `tg_dispatch` gets `{"chat_id": C}`, as the webhook function does. Both processors are
idempotent on the event (exactly-once processing, keyed on the journal row).

Replaying is idempotent too: the row is taken back from `parked` under its row lock only if it is still
parked, its processing attempts start again from zero, and the invocation is queued before that change
commits. If queueing fails the row stays parked (nothing half-done); replaying an event that is no
longer parked does nothing and says so. A FAL delivery waiting for its next scheduled try (`failed`)
can be replayed too, to try now: it gets the whole retry schedule again (FAL_RETRY_MAX_ATTEMPTS), and
its hand-on lease (FAL_HAND_ON_LEASE_SECONDS) keeps the reconciler and repeated deliveries from
queueing it a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from aisha.db import Database
from aisha.errors import AishaError
from aisha.functions import TG_DISPATCH
from aisha.models import TelegramUpdate
from aisha.services import chat_queue, tg_updates
from aisha.services.fal_work import kind_of, processor

InvokeEvent = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Replayed:
    event_id: int
    outcome: str  # replayed | not_parked | not_found | failed
    detail: str


def _fal_processor(db_conn: Any, row: dict[str, Any]) -> str:
    return processor(kind_of(db_conn, row["delivery_key"], row["endpoint"]))


def replay_one(db: Database, client: redis.Redis, event_id: int, invoke: InvokeEvent, *,
               lease_seconds: int = 600) -> Replayed:
    try:
        with db.transaction() as conn:
            row = conn.execute("SELECT id, provider, endpoint, delivery_key, status, body FROM webhook_events "
                               "WHERE id = %s FOR UPDATE", (event_id,)).fetchone()
            if row is None:
                return Replayed(event_id, "not_found", "no such journal event")
            replayable = ("parked", "failed") if row["provider"] == "fal" else ("parked",)
            if row["status"] not in replayable:
                return Replayed(event_id, "not_parked", f"status is {row['status']}: nothing to replay")
            if row["provider"] == "fal":
                conn.execute("UPDATE webhook_events SET status = 'received', processing_attempts = 0, "
                             "next_retry_at = now() + make_interval(secs => %s), last_seen_at = now() "
                             "WHERE id = %s", (lease_seconds, event_id))
                function = _fal_processor(conn, row)
                invoke(function, {"event_id": event_id})
                return Replayed(event_id, "replayed", f"queued {function}")
            conn.execute("UPDATE webhook_events SET status = 'received', processing_attempts = 0, "
                         "last_seen_at = now() WHERE id = %s", (event_id,))
            # poison (no chat id, a callback without `from`) stays parked with the reason, never a KeyError
            chat_id = tg_updates.chat_id_of(TelegramUpdate.from_json(bytes(row["body"])))
            if chat_id is None:
                raise AishaError("the update names no chat; it cannot be dispatched")
            # The dispatcher takes the row lock before it reads the status, so it sees this change
            # only once it is committed, right after the invocation is accepted.
            chat_queue.push(client, chat_id, event_id)
            invoke(TG_DISPATCH, {"chat_id": chat_id})
            return Replayed(event_id, "replayed", f"queued {TG_DISPATCH} for chat {chat_id}")
    except (AishaError, redis.RedisError, ValueError) as exc:
        return Replayed(event_id, "failed", f"left parked: {exc}")
