"""Nothing waits forever: due retries, lost invocations, lost webhooks, parked work, unmatched deliveries.

Each run, in this order, one row at a time (a row that fails is parked with its reason, the rest go on):
1. FAL deliveries whose retry is due, or whose hand-on lease ran out (the invocation was lost or its
   worker died), are handed on again (`journal.claim_hand_on`: once, whoever else tries).
2. Trainings and generations waiting longer than RECONCILE_AFTER_SECONDS with no delivery in flight
   (none came, or the one that came is parked or settled without settling the work) are asked about
   at FAL: a finished one gets a delivery journaled from FAL's own answer (its status and result, so a
   fresh result replaces a webhook whose files were unreachable) and goes down the same processing
   path; FAL's error fails the work there (refund and message, once). The reconciler journals such
   an answer once per request: if that one is parked too, the operator decides.
3. Unmatched deliveries whose request id is now known are handed on; those that stay unmatched past
   PARK_UNMATCHED_AFTER_SECONDS are parked for an operator.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from aisha.db import Connection, Database
from aisha.errors import FalError
from aisha.fal.client import FalGateway
from aisha.models import EventStatus, Provider, SignatureOutcome
from aisha.services import journal
from aisha.services.fal_results import reconcile_key
from aisha.services.fal_retry import error_code, safe_text
from aisha.services.fal_work import kind_of

log = logging.getLogger(__name__)
_LIVE = ("received", "processing", "failed", "unmatched")
RECONCILE_ENDPOINT = "reconcile"


@dataclass
class Report:
    checked: int = 0
    still_running: int = 0
    to_process: list[tuple[str, int]] = field(default_factory=list)  # (kind, event id)
    retried: int = 0
    parked: int = 0
    errors: list[str] = field(default_factory=list)


def _park(db: Database, event_id: int, exc: BaseException, report: Report) -> None:
    try:
        with db.transaction() as conn:
            journal.mark(conn, event_id, EventStatus.PARKED, error_code=error_code(exc),
                         error=safe_text(f"reconcile: {exc}"))
        report.parked += 1
    except Exception as again:  # the database itself: the next run tries again
        report.errors.append(f"event {event_id}: {again}")


def _hand_on_due(db: Database, report: Report, lease: int) -> None:
    with db.transaction() as conn:
        due = journal.due_fal_deliveries(conn)
    for event_id, endpoint, key in due:
        try:
            with db.transaction() as conn:
                if journal.claim_hand_on(conn, event_id, lease):
                    report.to_process.append((kind_of(conn, key, endpoint), event_id))
                    report.retried += 1
        except Exception as exc:
            log.error("FAL delivery %s cannot be handed on: %s", event_id, exc, extra={"event_id": event_id})
            _park(db, event_id, exc, report)


def _waiting(db: Database, older_than: int) -> list[tuple[str, str, str | None]]:
    """(kind, request id, model) of work waiting at FAL with no delivery in flight or reconciled yet."""
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT * FROM (
                 SELECT 'training' AS kind, fal_request_id, fal_model, training_started_at AS since FROM avatars
                  WHERE status = 'training' AND fal_request_id IS NOT NULL
                    AND training_started_at < now() - make_interval(secs => %(age)s)
                 UNION ALL
                 SELECT 'generation', fal_request_id, fal_model, queued_at FROM generations
                  WHERE status = 'queued' AND fal_request_id IS NOT NULL
                    AND queued_at < now() - make_interval(secs => %(age)s)) w
               WHERE NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.provider = 'fal'
                                   AND ((e.delivery_key = w.fal_request_id AND e.status = ANY(%(live)s))
                                        OR e.delivery_key = w.fal_request_id || '#reconcile'))
               ORDER BY since LIMIT 200""",
            {"age": older_than, "live": list(_LIVE)},
        ).fetchall()
    return [(row["kind"], row["fal_request_id"], row["fal_model"]) for row in rows]


def _answer(fal: FalGateway, model: str | None, request_id: str) -> dict[str, object] | None:
    """FAL's final answer as a webhook body, or None while it is still running."""
    if not model:
        raise FalError("the work names no FAL model to ask", code="no_fal_model", retryable=False)
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


def _journal_answer(conn: Connection, request_id: str, body: bytes) -> int:
    """Journal FAL's answer: under FAL's own key when no delivery came, else the reconciler's key."""
    key = request_id if journal.find(conn, Provider.FAL, request_id) is None else reconcile_key(request_id)
    recorded = journal.record_delivery(conn, Provider.FAL, RECONCILE_ENDPOINT, key, {}, body, keep_headers=(),
                                       signature=SignatureOutcome.UNCHECKED)
    return recorded.event.id


def _park_work(db: Database, request_id: str, exc: BaseException, report: Report) -> None:
    """A work item the reconciler cannot handle: a parked delivery says why, for an operator."""
    try:
        with db.transaction() as conn:
            body = json.dumps({"request_id": request_id, "reconcile_error": safe_text(exc, 500)}).encode()
            event_id = journal.record_delivery(conn, Provider.FAL, RECONCILE_ENDPOINT, reconcile_key(request_id),
                                               {}, body, keep_headers=(),
                                               signature=SignatureOutcome.UNCHECKED).event.id
            journal.mark(conn, event_id, EventStatus.PARKED, error_code=error_code(exc),
                         error=safe_text(f"reconcile: {exc}"))
        report.parked += 1
    except Exception as again:
        report.errors.append(f"{request_id}: {again}")


def _ask_fal(db: Database, fal: FalGateway, report: Report, older_than: int, lease: int) -> None:
    for kind, request_id, model in _waiting(db, older_than):
        report.checked += 1
        try:
            body = _answer(fal, model, request_id)
            if body is None:
                report.still_running += 1
                continue
            with db.transaction() as conn:
                event_id = _journal_answer(conn, request_id, json.dumps(body).encode())
                if journal.claim_hand_on(conn, event_id, lease):
                    report.to_process.append((kind, event_id))
        except FalError as exc:
            if exc.retryable:  # FAL is busy or unreachable: asked again next run
                report.errors.append(f"{request_id}: {exc.message}")
                continue
            log.error("FAL work %s cannot be reconciled: %s", request_id, exc.message)
            _park_work(db, request_id, exc, report)
        except Exception as exc:
            log.error("FAL work %s cannot be reconciled: %s", request_id, exc)
            _park_work(db, request_id, exc, report)


def _unmatched(db: Database, report: Report, park_after: int, lease: int) -> None:
    with db.transaction() as conn:
        rows = conn.execute(
            """UPDATE webhook_events e SET status = 'received', next_retry_at = now() + make_interval(secs => %s)
               WHERE provider = 'fal' AND status = 'unmatched'
                 AND (EXISTS (SELECT 1 FROM avatars a WHERE a.fal_request_id = e.delivery_key)
                      OR EXISTS (SELECT 1 FROM generations g WHERE g.fal_request_id = e.delivery_key))
               RETURNING id, EXISTS (SELECT 1 FROM avatars a WHERE a.fal_request_id = e.delivery_key) AS training""",
            (lease,),
        ).fetchall()
        report.to_process += [("training" if row["training"] else "generation", row["id"]) for row in rows]
        parked = conn.execute(
            """UPDATE webhook_events SET status = 'parked', error_code = 'never_matched',
                   last_error = 'no training or generation has this request id'
               WHERE provider = 'fal' AND status = 'unmatched' AND received_at < now() - make_interval(secs => %s)""",
            (park_after,),
        )
        report.parked += parked.rowcount


def reconcile(db: Database, fal: FalGateway, *, older_than: int, park_after: int, lease: int = 600) -> Report:
    report = Report()
    _hand_on_due(db, report, lease)
    _ask_fal(db, fal, report, older_than, lease)
    _unmatched(db, report, park_after, lease)
    return report


def not_handed_on(db: Database, event_id: int) -> None:
    """Queueing its processor failed: the next run may hand it on at once."""
    with db.transaction() as conn:
        journal.release_hand_on(conn, event_id)
