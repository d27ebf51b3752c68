from __future__ import annotations

import threading
import uuid

from aisha.db import Database
from aisha.models import EventStatus, Provider, SignatureOutcome
from aisha.services import journal

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
