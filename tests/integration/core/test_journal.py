from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from aisha.db import Connection, Database
from aisha.models import EventStatus, Provider, SignatureOutcome
from aisha.services import journal, tg_dispatch

KEEP = ["x-fal-webhook-request-id", "x-fal-webhook-timestamp"]


def test_a_delivery_is_journaled_once_and_repeats_are_counted(db: Database) -> None:
    key = f"req-{uuid.uuid4()}"
    headers = {"X-Fal-Webhook-Request-Id": key, "Authorization": "never stored", "X-Fal-Webhook-Timestamp": "1"}
    with db.transaction() as conn:
        first = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", key, headers, b'{"a":1}',
                                        keep_headers=KEEP)
    with db.transaction() as conn:
        again = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", key, headers, b'{"a":1}',
                                        keep_headers=KEEP)
    assert first.first and not again.first
    assert again.event.id == first.event.id and again.event.attempts == 2
    assert first.event.headers == {"x-fal-webhook-request-id": key, "x-fal-webhook-timestamp": "1"}
    assert first.event.body == b'{"a":1}'
    with db.transaction() as conn:
        done = journal.mark(conn, first.event.id, EventStatus.PROCESSED)
    assert done.status is EventStatus.PROCESSED and done.processed_at is not None


def test_concurrent_duplicates_have_exactly_one_first(db: Database) -> None:
    key = f"upd-{uuid.uuid4()}"
    start = threading.Barrier(5)
    firsts: list[bool] = []

    def deliver() -> None:
        start.wait()
        with db.transaction() as conn:
            firsts.append(journal.record_delivery(conn, Provider.TELEGRAM, "/webhook/telegram", key, {}, b"{}",
                                                  keep_headers=[]).first)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(firsts) == [False] * 4 + [True]


def test_a_forgery_is_kept_and_does_not_block_the_real_delivery(db: Database) -> None:
    key = f"req-{uuid.uuid4()}"
    with db.transaction() as conn:
        forged = journal.record_rejection(conn, Provider.FAL, "/webhook/fal/status", key, {}, b"forged",
                                          keep_headers=KEEP, signature=SignatureOutcome.INVALID,
                                          error_code="invalid_signature", error="no key verifies")
        real = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", key, {}, b"real",
                                       keep_headers=KEEP)
    assert forged.status is EventStatus.REJECTED and forged.delivery_key is None and forged.claimed_key == key
    assert real.first
    with db.transaction() as conn:
        found = journal.find(conn, Provider.FAL, key)
    assert found is not None and found.body == b"real"


def _update(db: Database) -> int:
    with db.statement() as conn:
        return journal.record_delivery(conn, Provider.TELEGRAM, "/webhook/telegram", f"upd-{uuid.uuid4()}", {},
                                       b'{"update_id": 1}', keep_headers=[]).event.id


def test_each_dispatch_of_an_update_counts_one_try_until_it_is_settled(db: Database) -> None:
    event_id = _update(db)
    with db.statement() as conn:
        taken = [journal.begin_dispatch(conn, event_id) for _ in range(2)]
    assert [tries for _row, tries in taken] == [1, 2]
    assert all(row.status is EventStatus.PROCESSING and row.body == b'{"update_id": 1}' for row, _ in taken)
    with db.statement() as conn:
        journal.mark(conn, event_id, EventStatus.PARKED)
        row, tries = journal.begin_dispatch(conn, event_id)
    assert tries is None and row.status is EventStatus.PARKED


def test_an_update_settled_while_its_dispatch_waits_for_the_row_is_not_run_again(db: Database) -> None:
    """The dispatch waits for the lock of a transaction that settles the row: once that commits, the update is
    not taken again, and the dispatch says what it ended as."""
    event_id = _update(db)

    def never(*_args: object) -> Any:
        raise AssertionError("a settled update was run again")

    def settle(conn: Connection) -> None:
        journal.mark(conn, event_id, EventStatus.PROCESSED)

    assert _dispatch_during(db, event_id, settle, never, never) == "processed"


def test_an_update_replayed_while_its_dispatch_waits_for_the_row_is_run(db: Database) -> None:
    """A replay takes a parked update back to `received` under the row's lock and queues its dispatch before
    it commits (infra/journal/replay.py): the dispatch waits for that and runs the update."""
    event_id = _update(db)
    with db.statement() as conn:
        journal.mark(conn, event_id, EventStatus.PARKED)
    ran: list[str] = []

    def replay(conn: Connection) -> None:
        conn.execute("UPDATE webhook_events SET status = 'received', processing_attempts = 0 WHERE id = %s",
                     (event_id,))

    def invoke(function: str, _payload: dict[str, Any]) -> tuple[Any, str | None]:
        ran.append(function)
        return {"ok": True}, None

    assert _dispatch_during(db, event_id, replay, lambda _update, _chat: "bot_start", invoke) == "processed"
    assert ran == ["bot_start"]


def _dispatch_during(db: Database, event_id: int, change: Callable[[Connection], None], route: Any,
                     invoke: Any) -> str:
    """tg_dispatch.handle_event started while another transaction holds the row's lock and makes `change`;
    its outcome once that transaction has committed."""
    outcome: list[str] = []
    with db.transaction() as other:
        other.execute("SELECT id FROM webhook_events WHERE id = %s FOR UPDATE", (event_id,))
        change(other)
        thread = threading.Thread(target=lambda: outcome.append(tg_dispatch.handle_event(db, event_id, route, invoke)))
        thread.start()
        deadline = time.monotonic() + 10
        with db.statement() as watch:
            while not _blocked_on_a_lock(watch):  # the dispatch waits for the other transaction
                assert time.monotonic() < deadline, "the dispatch never waited for the row's lock"
                time.sleep(0.01)
    thread.join(30)
    return outcome[0]


def _blocked_on_a_lock(conn: Connection) -> bool:
    row = conn.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND query LIKE %s", ("%WITH locked AS%",)).fetchone()
    return row is not None and row["n"] > 0
