"""Finding work whose webhook never came, and deliveries that never found their work.

Trainings and generations waiting longer than RECONCILE_AFTER_SECONDS are asked about at FAL; a
finished one gets a delivery journaled from FAL's answer and goes down the same processing path
as a webhook. Unmatched deliveries whose request id is now known are handed on again; those that
stay unmatched past PARK_UNMATCHED_AFTER_SECONDS are parked for an operator.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from aisha.db import Database
from aisha.errors import FalError
from aisha.fal.client import FalGateway
from aisha.models import EventStatus, Provider, SignatureOutcome
from aisha.services import journal

log = logging.getLogger(__name__)
_REPROCESS = {EventStatus.RECEIVED, EventStatus.FAILED, EventStatus.UNMATCHED}


@dataclass
class Report:
    checked: int = 0
    still_running: int = 0
    to_process: list[tuple[str, int]] = field(default_factory=list)  # (kind, event id)
    parked: int = 0
    errors: list[str] = field(default_factory=list)


def _waiting(db: Database, older_than: int) -> list[tuple[str, str, str]]:
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT 'training' AS kind, fal_request_id, fal_model FROM avatars
                 WHERE status = 'training' AND fal_request_id IS NOT NULL
                   AND training_started_at < now() - make_interval(secs => %s)
               UNION ALL
               SELECT 'generation', fal_request_id, fal_model FROM generations
                 WHERE status = 'queued' AND fal_request_id IS NOT NULL
                   AND queued_at < now() - make_interval(secs => %s)
               LIMIT 200""",
            (older_than, older_than),
        ).fetchall()
    return [(row["kind"], row["fal_request_id"], row["fal_model"]) for row in rows]


def _answer(fal: FalGateway, model: str, request_id: str) -> dict[str, object] | None:
    """FAL's final answer as a webhook body, or None while it is still running."""
    status = fal.status(model, request_id)
    if status.state != "COMPLETED":
        return None
    if status.error:
        return {"request_id": request_id, "status": "ERROR", "error": status.error, "payload": None}
    try:
        return {"request_id": request_id, "status": "OK", "payload": fal.result(model, request_id)}
    except FalError as exc:
        if exc.retryable:
            raise
        return {"request_id": request_id, "status": "ERROR", "error": exc.message, "payload": None}


def reconcile(db: Database, fal: FalGateway, *, older_than: int, park_after: int) -> Report:
    report = Report()
    for kind, request_id, model in _waiting(db, older_than):
        report.checked += 1
        try:
            body = _answer(fal, model, request_id)
        except FalError as exc:
            report.errors.append(f"{request_id}: {exc.message}")
            continue
        if body is None:
            report.still_running += 1
            continue
        with db.transaction() as conn:
            recorded = journal.record_delivery(conn, Provider.FAL, "reconcile", request_id, {},
                                               json.dumps(body).encode(), keep_headers=(),
                                               signature=SignatureOutcome.UNCHECKED)
        if recorded.first or recorded.event.status in _REPROCESS:
            report.to_process.append((kind, recorded.event.id))

    with db.transaction() as conn:
        rows = conn.execute(
            """UPDATE webhook_events e SET status = 'received'
               WHERE provider = 'fal' AND status = 'unmatched'
                 AND (EXISTS (SELECT 1 FROM avatars a WHERE a.fal_request_id = e.delivery_key)
                      OR EXISTS (SELECT 1 FROM generations g WHERE g.fal_request_id = e.delivery_key))
               RETURNING id, EXISTS (SELECT 1 FROM avatars a WHERE a.fal_request_id = e.delivery_key) AS training"""
        ).fetchall()
        report.to_process += [("training" if row["training"] else "generation", row["id"]) for row in rows]
        parked = conn.execute(
            """UPDATE webhook_events SET status = 'parked', error_code = 'never_matched',
                   last_error = 'no training or generation has this request id'
               WHERE provider = 'fal' AND status = 'unmatched' AND received_at < now() - make_interval(secs => %s)""",
            (park_after,),
        )
        report.parked = parked.rowcount
    return report
