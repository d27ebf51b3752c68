"""The journal stays bounded: refused bodies kept as a prefix with size and hash; old finished rows deleted."""

from __future__ import annotations

import hashlib
import uuid

from aisha.db import Database
from aisha.models import EventStatus, Provider, SignatureOutcome
from aisha.services import journal, journal_retention


def _stored(db: Database, event_id: int) -> dict[str, object] | None:
    with db.transaction() as conn:
        return conn.execute("SELECT length(body) AS kept, body_size, body_sha256, claimed_key, headers, last_error "
                            "FROM webhook_events WHERE id = %s", (event_id,)).fetchone()


def test_a_refused_body_is_kept_as_its_first_kilobytes_with_its_size_and_hash(db: Database) -> None:
    body = b"\x00\xff" * (5 * 1024 * 1024 // 2)  # 5 MB of non-JSON, as an unsigned flood sends
    with db.transaction() as conn:
        event = journal.record_rejection(conn, Provider.FAL, "/webhook/fal/status", "claimed", {}, body,
                                         keep_headers=[], signature=SignatureOutcome.MISSING,
                                         error_code="missing_header", error="no headers")
    row = _stored(db, event.id)
    assert row is not None
    assert (row["kept"], row["body_size"], row["body_sha256"]) == (
        journal.REJECTED_BODY_KEEP, len(body), hashlib.sha256(body).hexdigest())
    assert event.body == body[:journal.REJECTED_BODY_KEEP]


def test_an_accepted_body_is_kept_whole_with_its_size_and_hash(db: Database) -> None:
    body = b'{"request_id": "x", "pad": "' + b"p" * 10000 + b'"}'
    with db.transaction() as conn:
        recorded = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", f"req-{uuid.uuid4()}", {},
                                           body, keep_headers=[])
    row = _stored(db, recorded.event.id)
    assert row is not None and (row["kept"], row["body_size"]) == (len(body), len(body))
    assert row["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_text_postgresql_would_refuse_is_stored_cleaned(db: Database) -> None:
    with db.transaction() as conn:
        event = journal.record_rejection(conn, Provider.TELEGRAM, "/webhook/telegram", "id\x00\ud800" + "k" * 500,
                                         {"User-Agent": "ua\x00" + "u" * 5000}, b"{}", keep_headers=["user-agent"],
                                         signature=SignatureOutcome.VALID, error_code="malformed_update",
                                         error="bad \x00 text")
    row = _stored(db, event.id)
    assert row is not None
    assert str(row["claimed_key"]).startswith("id\ufffd?") and len(str(row["claimed_key"])) == 200
    assert row["headers"]["user-agent"].startswith("ua\ufffd") and len(row["headers"]["user-agent"]) == 1024
    assert row["last_error"] == "bad \ufffd text"


def _event(db: Database, status: EventStatus, age_days: float) -> int:
    key = f"ret-{uuid.uuid4()}"
    with db.transaction() as conn:
        if status is EventStatus.REJECTED:
            event_id = journal.record_rejection(conn, Provider.FAL, "/webhook/fal/status", key, {}, b"{}",
                                                keep_headers=[], signature=SignatureOutcome.INVALID,
                                                error_code="invalid_signature", error="forged").id
        else:
            event_id = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", key, {}, b"{}",
                                               keep_headers=[]).event.id
            journal.mark(conn, event_id, status)
        conn.execute("UPDATE webhook_events SET received_at = now() - make_interval(secs => %s), "
                     "last_seen_at = now() - make_interval(secs => %s) WHERE id = %s",
                     (age_days * 86400, age_days * 86400, event_id))
    return event_id


def _existing(db: Database, ids: list[int]) -> set[int]:
    with db.transaction() as conn:
        return {r["id"] for r in conn.execute("SELECT id FROM webhook_events WHERE id = ANY(%s)", (ids,)).fetchall()}


def test_retention_deletes_old_finished_rows_and_never_open_work(db: Database) -> None:
    old_processed = [_event(db, EventStatus.PROCESSED, 31) for _ in range(3)]
    old_rejected = [_event(db, EventStatus.REJECTED, 8) for _ in range(3)]
    kept = [_event(db, EventStatus.PROCESSED, 29), _event(db, EventStatus.REJECTED, 6)]
    kept += [_event(db, status, 400) for status in (EventStatus.RECEIVED, EventStatus.PROCESSING,
                                                   EventStatus.UNMATCHED, EventStatus.FAILED, EventStatus.PARKED)]
    report = journal_retention.sweep(db, processed_days=30, rejected_days=7, batch=2)  # several batches
    assert report.complete and report.processed >= 3 and report.rejected >= 3
    assert _existing(db, old_processed + old_rejected) == set()
    assert _existing(db, kept) == set(kept)
    again = journal_retention.sweep(db, processed_days=30, rejected_days=7)
    assert (again.processed, again.rejected) == (0, 0)


def test_a_bounded_sweep_says_it_is_not_done_and_the_next_run_goes_on(db: Database) -> None:
    old = [_event(db, EventStatus.REJECTED, 10) for _ in range(5)]
    first = journal_retention.sweep(db, processed_days=30, rejected_days=7, batch=2, max_batches=1)
    assert not first.complete and first.rejected == 2
    assert len(_existing(db, old)) <= 3
    journal_retention.sweep(db, processed_days=30, rejected_days=7)
    assert _existing(db, old) == set()


def test_a_delivery_key_postgresql_would_refuse_is_one_stable_key(db: Database) -> None:
    key = f"req-\x00-{uuid.uuid4()}-\udfff"
    with db.transaction() as conn:
        first = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", key, {}, b"{}", keep_headers=[])
    with db.transaction() as conn:
        again = journal.record_delivery(conn, Provider.FAL, "/webhook/fal/status", key, {}, b"{}", keep_headers=[])
    assert first.first and not again.first and again.event.id == first.event.id
    assert first.event.delivery_key == journal.storable(key, 1000) and "\x00" not in str(first.event.delivery_key)
