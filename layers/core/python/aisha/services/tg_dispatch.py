"""Draining a chat's queue: each update to the handler function of its kind, in order.

A handler that fails for a reason that passes (killed, timed out, out of memory, a service away, the
runner throttling) has its update tried again, first in its chat's line, up to MAX_ATTEMPTS; a handler
that fails otherwise, or every time, has its update parked for replay and the chat moves on; so does an
update that cannot be read or routed (its row never stays `processing`). When the dispatch itself
fails (the database or Redis is away), the update goes back to the head of its chat's queue and the
error goes up, so the dispatcher's Event invocation is retried: nothing popped is dropped, and a
row left unfinished is found again by `requeue_stuck` (parked after MAX_ATTEMPTS tries).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aisha.errors import AishaError, NotFound
from aisha.models import EventStatus, TelegramUpdate
from aisha.services import chat_queue, journal, tg_updates

if TYPE_CHECKING:
    import redis

    from aisha.db import Database

log = logging.getLogger(__name__)
InvokeSync = Callable[[str, dict[str, Any]], tuple[Any, str | None]]
Route = Callable[[dict[str, Any], int | None], str]  # (update, its chat id) -> the function to run it
MAX_ATTEMPTS = 3


def handle_event(db: Database, event_id: int, route: Route, invoke: InvokeSync) -> str:
    """Run one journaled update through its handler; returns the journal status it ends in."""
    try:
        with db.statement() as conn:
            event, tries = journal.begin_dispatch(conn, event_id)
    except NotFound:  # a queue entry whose row is gone (a restored database): nothing to run, nothing to keep
        log.warning("queued update %s is not in the journal; dropped from the queue", event_id)
        return "not_found"
    if tries is None:  # processed, parked or refused already
        return event.status.value
    if tries > MAX_ATTEMPTS:  # its handler died or timed out every time: an operator looks at it, the chat goes on
        return _park(db, event_id, "handler_never_finished", f"no handler run finished in {MAX_ATTEMPTS} attempts")
    last_try = tries >= MAX_ATTEMPTS
    try:
        update = json.loads(event.body)
        function = route(update, chat_id_of(update))
    except Exception as exc:  # poison or a routing bug: deterministic, so retrying would not help
        if transient(type(exc).__name__) and not last_try:  # but the state's Redis may be restarting
            raise TryLater(f"routing needs a service that is away: {exc}") from exc
        code = exc.code if isinstance(exc, AishaError) else "route_failed"
        return _park(db, event_id, code, f"{type(exc).__name__}: {exc}")
    try:
        answer, error = invoke(function, {"event_id": event_id, "update": update})
    except Exception as exc:  # the invoke itself failed (the runner away or throttling): try again later
        if not last_try:
            raise TryLater(f"{function} not reached: {exc}") from exc
        answer, error = {"errorMessage": str(exc), "errorType": "InvokeFailed"}, "InvokeFailed"
    if error is None:
        with db.statement() as conn:
            journal.mark(conn, event_id, EventStatus.PROCESSED)
        return EventStatus.PROCESSED.value
    message = answer.get("errorMessage") if isinstance(answer, dict) else str(answer)
    error_type = str(answer.get("errorType") or error) if isinstance(answer, dict) else error
    if transient(error_type) and not last_try:
        # the handler was killed, timed out or lost a service mid-flow: its update runs again, first
        # in its chat's line (flows are idempotent per update); a bug fails every try and is parked
        raise TryLater(f"{function} failed ({error_type}): {message}")
    return _park(db, event_id, f"handler_{error_type}"[:64], f"{function}: {message}")


class TryLater(Exception):
    """The update's handler did not finish for a reason that passes (see `transient`)."""


# errorType values of failures that pass: the execution environment died, timed out or ran out of memory
# (Lambda's Runtime.* and Sandbox.*), or a service the flow needs was away (the exception's class name)
_TRANSIENT_PREFIXES = ("Runtime.", "Sandbox.")
_TRANSIENT_TYPES = frozenset({"ConnectionError", "TimeoutError", "OperationalError", "BusyLoadingError",
                              "ConnectionRefusedError", "ConnectionResetError", "Unavailable", "TimedOut",
                              "NetworkError", "PoolTimeout", "InvokeError", "InvokeFailed",
                              "DatabaseUnavailable", "StorageError"})  # aisha.errors' own "try later"


def transient(error_type: str) -> bool:
    return error_type.startswith(_TRANSIENT_PREFIXES) or error_type in _TRANSIENT_TYPES


def _park(db: Database, event_id: int, code: str, reason: str) -> str:
    with db.statement() as conn:
        journal.mark(conn, event_id, EventStatus.PARKED, error_code=code, error=reason[:2000])
    log.error("update parked", extra={"event_id": event_id, "error_code": code, "error": reason})
    return EventStatus.PARKED.value


def chat_id_of(update: dict[str, Any]) -> int | None:
    """The update's chat; ClientError `malformed_update` (never a KeyError) when it cannot be read."""
    return tg_updates.chat_id_of(TelegramUpdate.from_dict(update))


def drain_chat(db: Database, client: redis.Redis, chat_id: int, route: Route, invoke: InvokeSync) -> int:
    """Run the chat's queued updates in order; `route` (the bot's routing table) names each one's function."""
    return chat_queue.drain(client, chat_id, lambda event_id: _handle(db, event_id, route, invoke))


def _handle(db: Database, event_id: int, route: Route, invoke: InvokeSync) -> None:
    try:
        handle_event(db, event_id, route, invoke)
    except Exception:
        # the journal failed under us: chat_queue puts the update back first in line and the
        # invocation fails, so it is retried; if Redis fails too, the row is still unfinished and
        # requeue_stuck brings it back
        log.exception("dispatch of event %s failed; back on its chat's queue", event_id)
        raise


def requeue_stuck(db: Database, client: redis.Redis, *, older_than_seconds: int) -> list[int]:
    """Updates journaled but never finished (their dispatcher was killed, or never queued): queue
    them again for their chats; returns the chat ids to drain. One that cannot be read is parked with
    its reason, so it never fails this sweep again."""
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, body FROM webhook_events WHERE provider = 'telegram' "
            "AND status IN ('received', 'processing') AND last_seen_at < now() - make_interval(secs => %s) "
            "ORDER BY id LIMIT 500", (older_than_seconds,)).fetchall()
    chats: list[int] = []
    for row in rows:
        try:
            chat_id = chat_id_of(json.loads(bytes(row["body"])))
        except (AishaError, ValueError) as exc:  # ValueError: not JSON, or not an update (pydantic's too)
            code = exc.code if isinstance(exc, AishaError) else "malformed_update"
            _park(db, int(row["id"]), code, f"{type(exc).__name__}: {exc}")
            continue
        if chat_id is None:  # a kind without a chat whose webhook died before it said so
            with db.statement() as conn:
                journal.mark(conn, int(row["id"]), EventStatus.PROCESSED, error_code="no_chat")
            continue
        chat_queue.push(client, chat_id, int(row["id"]))
        if chat_id not in chats:
            chats.append(chat_id)
    return chats
