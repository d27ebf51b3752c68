"""Draining a chat's queue: each update to the handler function of its kind, in order.

A handler that fails has its update recorded and parked for replay, and the chat moves on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aisha.models import EventStatus
from aisha.services import chat_queue, journal

if TYPE_CHECKING:
    import redis

    from aisha.db import Database

log = logging.getLogger(__name__)
InvokeSync = Callable[[str, dict[str, Any]], tuple[Any, str | None]]
Route = Callable[[dict[str, Any], int | None], str]  # (update, its chat id) -> the function to run it
_DONE = {EventStatus.PROCESSED, EventStatus.PARKED, EventStatus.REJECTED}
MAX_ATTEMPTS = 3


def handle_event(db: Database, event_id: int, route: Route, invoke: InvokeSync) -> str:
    """Run one journaled update through its handler; returns the journal status it ends in."""
    with db.transaction() as conn:
        event = journal.get(conn, event_id, lock=True)
        if event.status in _DONE:
            return event.status.value
        tries = conn.execute(
            "UPDATE webhook_events SET status = 'processing', processing_attempts = processing_attempts + 1, "
            "last_seen_at = now() WHERE id = %s RETURNING processing_attempts", (event_id,)).fetchone()
        if tries is not None and tries["processing_attempts"] > MAX_ATTEMPTS:
            # its handler died or timed out every time: an operator looks at it, the chat goes on
            journal.mark(conn, event_id, EventStatus.PARKED, error_code="handler_never_finished",
                         error=f"no handler run finished in {MAX_ATTEMPTS} attempts")
            return EventStatus.PARKED.value
    update = json.loads(event.body)
    chat_id = _chat_id(update)
    function = route(update, chat_id)
    try:
        answer, error = invoke(function, {"event_id": event_id, "update": update})
    except Exception as exc:  # the invoke itself failed (runner down): park, don't block the chat
        answer, error = {"errorMessage": str(exc)}, "InvokeFailed"
    with db.transaction() as conn:
        if error is None:
            journal.mark(conn, event_id, EventStatus.PROCESSED)
            return EventStatus.PROCESSED.value
        message = answer.get("errorMessage") if isinstance(answer, dict) else str(answer)
        journal.mark(conn, event_id, EventStatus.PARKED, error_code=f"handler_{error}"[:64],
                     error=f"{function}: {message}")
    log.error("update parked", extra={"event_id": event_id, "function": function, "error": message})
    return EventStatus.PARKED.value


def _chat_id(update: dict[str, Any]) -> int | None:
    from aisha.models import TelegramUpdate

    return TelegramUpdate.model_validate(update).chat_id


def drain_chat(db: Database, client: redis.Redis, chat_id: int, route: Route, invoke: InvokeSync) -> int:
    """Run the chat's queued updates in order; `route` (the bot's routing table) names each one's function."""
    return chat_queue.drain(client, chat_id, lambda event_id: _safe(db, event_id, route, invoke))


def _safe(db: Database, event_id: int, route: Route, invoke: InvokeSync) -> None:
    try:
        handle_event(db, event_id, route, invoke)
    except Exception:  # never let one update stop the chat's queue
        log.exception("dispatch of event %s failed", event_id)


def requeue_stuck(db: Database, client: redis.Redis, *, older_than_seconds: int) -> list[int]:
    """Updates journaled but never finished (their dispatcher was killed, or never queued): queue
    them again for their chats; returns the chat ids to drain."""
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, body FROM webhook_events WHERE provider = 'telegram' "
            "AND status IN ('received', 'processing') AND last_seen_at < now() - make_interval(secs => %s) "
            "ORDER BY id LIMIT 500", (older_than_seconds,)).fetchall()
    chats: list[int] = []
    for row in rows:
        chat_id = _chat_id(json.loads(row["body"]))
        if chat_id is None:
            continue
        chat_queue.push(client, chat_id, int(row["id"]))
        if chat_id not in chats:
            chats.append(chat_id)
    return chats
