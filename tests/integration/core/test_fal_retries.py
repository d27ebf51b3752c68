"""FAL deliveries that fail: tried again on a schedule, duplicates cost nothing, and when the tries run
out the work fails for good: refunded once, the user told (a catalogue key), an operator metric counts
it. Against real PostgreSQL and S3 and a local FAL file host."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from aisha.db import Database
from aisha.fal.files import fetch_file
from aisha.models import AvatarStatus, EventStatus, GenerationStatus
from aisha.services import avatars, fal_results, generations, journal, ledger, metrics
from aisha.services.fal_retry import RetryPolicy, safe_text
from aisha.storage import Storage

from tests.integration.core.fal_kit import (
    FileHost,
    Sent,
    deliver_and_notify,
    journal_delivery,
    queued_generation,
    training_avatar,
    training_ok,
)

POLICY = RetryPolicy(max_attempts=3, base_seconds=60, max_delay_seconds=3600)


def _wait_seconds(db: Database, event_id: int) -> float:
    with db.transaction() as conn:
        row = conn.execute("SELECT EXTRACT(EPOCH FROM next_retry_at - now()) AS s FROM webhook_events WHERE id = %s",
                           (event_id,)).fetchone()
    return float(row["s"])


def _make_due(db: Database, event_id: int) -> None:
    """The wait is over (time passes in the database instead of in the test)."""
    with db.transaction() as conn:
        conn.execute("UPDATE webhook_events SET next_retry_at = now() - interval '1 second' WHERE id = %s",
                     (event_id,))


def _given_up(db: Database) -> dict[str, float]:
    with db.transaction() as conn:
        families = {f.name: f for f in metrics.collect(conn)}
    return {labels["kind"]: value for labels, value in families["aisha_fal_work_given_up_total"].samples}


def _refunds(db: Database, charge_id: int) -> list[int]:
    with db.transaction() as conn:
        rows = conn.execute("SELECT amount FROM ledger_entries WHERE refund_of = %s", (charge_id,)).fetchall()
    return [int(r["amount"]) for r in rows]


def test_an_unreachable_result_is_tried_on_schedule_then_refunded_once_and_told(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=150)
    request_id = f"req-{uuid.uuid4()}"
    avatar_id, charge_id = training_avatar(db, user_id, request_id)
    event_id = journal_delivery(db, training_ok(files, request_id))
    before = _given_up(db)
    sent = Sent()
    files.down = True
    try:
        assert deliver_and_notify(db, storage, buckets, event_id, sent, POLICY).status == "retry_scheduled"
        assert 55 <= _wait_seconds(db, event_id) <= 60
        # invoked again before its wait is over (a duplicate Event): nothing happens, no try is spent
        assert deliver_and_notify(db, storage, buckets, event_id, sent, POLICY).status == "not_due"
        with db.transaction() as conn:
            assert journal.retry_state(conn, event_id).attempts == 1
        _make_due(db, event_id)
        assert deliver_and_notify(db, storage, buckets, event_id, sent, POLICY).status == "retry_scheduled"
        assert 115 <= _wait_seconds(db, event_id) <= 120  # the wait doubles
        _make_due(db, event_id)
        assert deliver_and_notify(db, storage, buckets, event_id, sent, POLICY).status == "gave_up"
    finally:
        files.down = False

    with db.transaction() as conn:
        avatar = avatars.get(conn, avatar_id)
        event = journal.get(conn, event_id)
        assert ledger.balance(conn, user_id) == 150
    assert avatar.status is AvatarStatus.ERROR and "fal_file_unavailable" in (avatar.error or "")
    assert (event.status, event.error_code) == (EventStatus.PROCESSED, "gave_up")
    assert (event.last_error or "").startswith("fal_file_unavailable: ")
    assert _refunds(db, charge_id) == [150]
    assert [(kind, chat) for kind, chat, _ in sent.calls] == [("avatar_failed", user_id)]
    assert sent.calls[0][2]["reason_key"] == "reason_result_unavailable" and sent.calls[0][2]["coins"] == 150
    after = _given_up(db)
    assert (after["training"] - before.get("training", 0), after["generation"] - before.get("generation", 0)) == (1, 0)

    # a late repeat (FAL's file server is back now) changes nothing: no second refund, no second message
    assert deliver_and_notify(db, storage, buckets, event_id, sent, POLICY).status == "duplicate"
    again = journal_delivery(db, training_ok(files, request_id))
    assert deliver_and_notify(db, storage, buckets, again, sent, POLICY).status == "duplicate"
    assert _refunds(db, charge_id) == [150] and len(sent.calls) == 1


def test_a_failure_no_retry_can_mend_ends_the_work_at_once(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=10)
    request_id = f"req-{uuid.uuid4()}"
    generation_id, charge_id = queued_generation(db, user_id, request_id)
    missing = f"{files.base}/{request_id}/gone.png"  # the file host answers 404: FAL no longer has it
    body = {"request_id": request_id, "status": "OK", "payload": {"images": [{"url": missing}]}}
    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, journal_delivery(db, body), sent, POLICY).status == "gave_up"
    with db.transaction() as conn:
        assert generations.get(conn, generation_id).status is GenerationStatus.FAILED
    assert _refunds(db, charge_id) == [10]
    assert [c[0] for c in sent.calls] == ["generation_failed"]


def test_nul_and_broken_unicode_in_fals_error_text_are_stored_and_the_work_refunded(
    db: Database, storage: Storage, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=10)
    request_id = f"req-{uuid.uuid4()}"
    generation_id, charge_id = queued_generation(db, user_id, request_id)
    error = "worker crashed\x00 at \ud800 step 3"
    body = {"request_id": request_id, "status": "ERROR", "error": error, "payload": {"detail": "\x00"}}
    event_id = journal_delivery(db, body)
    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, event_id, sent, POLICY).status == "processed"
    with db.transaction() as conn:
        generation = generations.get(conn, generation_id)
        assert journal.get(conn, event_id).status is EventStatus.PROCESSED
    assert generation.status is GenerationStatus.FAILED
    assert generation.error == safe_text(error) and "\x00" not in generation.error
    assert generation.error.startswith("worker crashed")
    assert _refunds(db, charge_id) == [10]
    assert [c[0] for c in sent.calls] == ["generation_failed"]


def test_nul_in_a_failed_tries_error_is_stored_with_the_retry(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=10)
    request_id = f"req-{uuid.uuid4()}"
    queued_generation(db, user_id, request_id, n=1)
    url = files.add(f"{request_id}/0.png", b"\x89PNG")
    event_id = journal_delivery(db, {"request_id": request_id, "status": "OK", "payload": {"images": [{"url": url}]}})

    def fetch(_: str) -> bytes:
        raise OSError("connection reset by \x00peer \udcff")

    assert fal_results.process(db, storage, buckets, event_id, fetch, POLICY).status == "retry_scheduled"
    with db.transaction() as conn:
        event = journal.get(conn, event_id)
    assert event.status is EventStatus.FAILED and event.last_error == safe_text("connection reset by \x00peer \udcff")
    _make_due(db, event_id)
    assert fal_results.process(db, storage, buckets, event_id, fetch_file, POLICY).status == "processed"


def test_concurrent_duplicate_invocations_spend_one_try(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=150)
    request_id = f"req-{uuid.uuid4()}"
    training_avatar(db, user_id, request_id)
    event_id = journal_delivery(db, training_ok(files, request_id))
    outcomes: list[str] = []
    start = threading.Barrier(5)

    def go() -> None:
        start.wait()
        outcomes.append(fal_results.process(db, storage, buckets, event_id, fetch_file, POLICY).status)

    files.down = True
    try:
        threads = [threading.Thread(target=go) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        files.down = False
    assert sorted(outcomes) == ["not_due"] * 4 + ["retry_scheduled"]
    with db.transaction() as conn:
        assert journal.retry_state(conn, event_id).attempts == 1


def test_even_failing_the_work_fails_the_delivery_is_parked_with_why(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=150)
    request_id = f"req-{uuid.uuid4()}"
    training_avatar(db, user_id, request_id)
    event_id = journal_delivery(db, training_ok(files, request_id))
    with db.transaction() as conn:  # a charge that is no charge: the refund cannot be made
        bogus = ledger.credit(conn, user_id, 1, ledger.LedgerKind.TOPUP, reason="not a charge")
        conn.execute("UPDATE avatars SET training_charge_id = %s WHERE fal_request_id = %s", (bogus.id, request_id))
    files.down = True
    try:
        outcome = fal_results.process(db, storage, buckets, event_id, fetch_file, RetryPolicy(max_attempts=1))
    finally:
        files.down = False
    assert outcome.status == "parked"
    with db.transaction() as conn:
        event = journal.get(conn, event_id)
        assert avatars.by_request_id(conn, request_id).status is AvatarStatus.TRAINING  # type: ignore[union-attr]
    assert (event.status, event.error_code) == (EventStatus.PARKED, "not_a_charge")
    assert "fal_file_unavailable" in (event.last_error or "")


def test_a_delivery_whose_body_is_not_fals_is_parked_not_retried(
    db: Database, storage: Storage, buckets: fal_results.Buckets
) -> None:
    with db.transaction() as conn:
        event_id = journal.record_delivery(conn, journal.Provider.FAL, "/webhook/fal/status", f"req-{uuid.uuid4()}",
                                           {}, b'{"status": "COMPLETED"}', keep_headers=()).event.id
    assert fal_results.process(db, storage, buckets, event_id, fetch_file, POLICY).status == "parked"
    with db.transaction() as conn:
        assert journal.get(conn, event_id).error_code == "malformed_body"


def _receipt_hand_ons(db: Database, request_id: str, times: int) -> list[bool]:
    """`times` deliveries of one FAL body through the journal and the hand-on claim, as the door does."""
    body = json.dumps({"request_id": request_id, "status": "OK", "payload": {}}).encode()
    found: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(times)

    def go() -> None:
        start.wait()
        with db.statement() as conn:  # as the webhook does: journaled and claimed in one statement
            claimed = journal.record_delivery(conn, journal.Provider.FAL, "/webhook/fal/status", request_id, {},
                                              body, keep_headers=(), hand_on_lease=600).hand_on
        with lock:
            found.append(claimed)

    threads = [threading.Thread(target=go) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return found


def test_duplicate_deliveries_hand_on_once_per_lease(db: Database, make_user: Callable[..., Any]) -> None:
    request_id = f"req-{uuid.uuid4()}"
    assert sorted(_receipt_hand_ons(db, request_id, 5)) == [False] * 4 + [True]
    with db.transaction() as conn:
        event = journal.find(conn, journal.Provider.FAL, request_id)
        assert event is not None and event.attempts == 5
        # a failed delivery waiting for its retry is not handed on by a repeat either
        journal.schedule_retry(conn, event.id, 600, error_code="fal_file_unavailable", error="down")
    assert _receipt_hand_ons(db, request_id, 2) == [False, False]
    _make_due(db, event.id)
    assert sorted(_receipt_hand_ons(db, request_id, 3)) == [False, False, True]
    with db.transaction() as conn:
        assert journal.get(conn, event.id).status is EventStatus.RECEIVED
        # one that finished is only counted, even with its lease long over
        journal.mark(conn, event.id, EventStatus.PROCESSED)
    _make_due(db, event.id)
    assert _receipt_hand_ons(db, request_id, 2) == [False, False]
    with db.transaction() as conn:
        assert journal.get(conn, event.id).status is EventStatus.PROCESSED
