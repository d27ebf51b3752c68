"""Journal retention: old finished rows of the webhook journal are deleted, open work never is.

Deleted: processed deliveries last seen more than `processed_days` ago (by then FAL's 2-hour and
Telegram's 1-day redelivery windows are long closed, so their idempotency keys are no longer needed)
and refused ones last seen more than `rejected_days` ago. Kept whatever their age: deliveries still
received, processing, unmatched, failed or parked (an operator's list). Deleted in batches, each in a
transaction of its own, so a large backlog never holds one long lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aisha.models import EventStatus

if TYPE_CHECKING:
    from aisha.db import Database

BATCH = 1000


@dataclass(frozen=True)
class RetentionReport:
    processed: int
    rejected: int
    complete: bool  # False: max_batches ran out; the next run goes on


def _delete_batch(db: Database, status: EventStatus, days: int, limit: int) -> int:
    with db.transaction() as conn:
        rows = conn.execute(
            """DELETE FROM webhook_events WHERE id IN (
                   SELECT id FROM webhook_events
                   WHERE status = %s AND last_seen_at < now() - make_interval(days => %s)
                   ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
               RETURNING id""",
            (status.value, days, limit),
        ).fetchall()
    return len(rows)


def sweep(db: Database, *, processed_days: int, rejected_days: int, batch: int = BATCH,
          max_batches: int = 100) -> RetentionReport:
    deleted = {EventStatus.PROCESSED: 0, EventStatus.REJECTED: 0}
    complete = True
    for status, days in ((EventStatus.PROCESSED, processed_days), (EventStatus.REJECTED, rejected_days)):
        for _ in range(max_batches):
            count = _delete_batch(db, status, days, batch)
            deleted[status] += count
            if count < batch:
                break
        else:
            complete = False
    return RetentionReport(deleted[EventStatus.PROCESSED], deleted[EventStatus.REJECTED], complete)
