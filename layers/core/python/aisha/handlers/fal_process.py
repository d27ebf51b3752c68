"""The FAL processor functions (Event): store the LoRA or images, complete or refund, tell the user."""

from __future__ import annotations

import logging
from typing import Any

from aisha.fal.files import fetch_file
from aisha.handlers.common import request_id_of
from aisha.services import fal_results, outbox
from aisha.services.fal_retry import RetryPolicy
from aisha.worker import WorkerState, state

log = logging.getLogger("aisha.fal")


def send_notifications(worker: WorkerState, keys: list[str]) -> None:
    for key in keys:
        outbox.deliver(worker.db, key, worker.notifier.send, worker.loop.run,
                       claim_seconds=worker.settings.outbox_claim_seconds)


def process_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event invocation {"event_id": N}: process that journaled delivery.

    A failed try is scheduled again by the service itself and answered normally; only what cannot
    even be recorded (the database down) raises, and the runner's own retries take that."""
    worker = state()
    buckets = fal_results.Buckets(loras=worker.settings.s3_bucket_loras, images=worker.settings.s3_bucket_images)
    event_id = event.get("event_id") if isinstance(event, dict) else None
    if not isinstance(event_id, int) or isinstance(event_id, bool):
        log.error("FAL processing invoked without an event id: %r", event, extra={"request_id": request_id_of(context)})
        return {"event_id": None, "outcome": "invalid_event"}  # retrying cannot mend it
    outcome = fal_results.process(worker.db, worker.storage, buckets, event_id, fetch_file,
                                  RetryPolicy.from_settings(worker.settings))
    send_notifications(worker, outcome.notifications)
    log.info("FAL delivery %s", outcome.status, extra={"request_id": request_id_of(context), "event_id": event_id})
    return {"event_id": event_id, "outcome": outcome.status}
