"""Handlers of the FAL functions: the two webhooks, the processors, the reconciler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from aisha.errors import AishaError, FalError
from aisha.handlers.apigw import headers, json_response, raw_body
from aisha.handlers.process_state import WorkerState, state
from aisha.services import fal_results, fal_webhooks
from aisha.telegram import outbox

log = logging.getLogger("aisha.fal")
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_FILE_BYTES = 1024 * 1024 * 1024
TRAINING_PROCESSOR = "fal_process_training"
GENERATION_PROCESSOR = "fal_process_generation"


def request_id_of(context: Any) -> str:
    return str(getattr(context, "aws_request_id", "") or "")


def webhook_handler(endpoint: str, processor: str) -> Handler:
    """POST endpoint: verify, validate, journal, queue `processor`, answer within FAL's 15 s."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        worker = state()
        extra = {"request_id": request_id_of(context), "endpoint": endpoint}
        receipt = fal_webhooks.receive(worker.db, worker.jwks, endpoint, headers(event), raw_body(event))
        if receipt.status != 200:
            log.warning("FAL delivery refused: %s", receipt.body["error"],
                        extra={**extra, "event_id": receipt.event_id})
            return json_response(receipt.status, receipt.body, receipt.headers)
        if receipt.hand_on:
            try:
                worker.invoker.invoke_event(processor, {"event_id": receipt.event_id})
            except AishaError as exc:  # journaled, not yet queued: FAL's retry hands it on again
                log.error("cannot queue processing: %s", exc, extra={**extra, "event_id": receipt.event_id})
                return json_response(503, {"error": "queue_unavailable", "message": "try again later"},
                                     {"Retry-After": "30"})
        log.info("FAL delivery accepted", extra={**extra, "event_id": receipt.event_id, **receipt.body})
        return json_response(200, receipt.body)

    return handle


def fetch_file(url: str) -> bytes:
    """Download one of FAL's result files; FAL keeps them for days, we keep our copy."""
    try:
        with httpx.stream("GET", url, timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True) as response:
            if response.status_code != 200:
                raise FalError(f"FAL file server answered {response.status_code} for a result file",
                               code="fal_file_unavailable", retryable=response.status_code >= 500)
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise FalError("result file larger than 1 GB", code="fal_file_too_large", retryable=False)
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise FalError(f"cannot download a result file: {exc.__class__.__name__}", code="fal_file_unavailable") from exc


def send_notifications(worker: WorkerState, keys: list[str]) -> None:
    for key in keys:
        outbox.deliver(worker.db, key, worker.notifier.send, worker.loop.run)


def process_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event invocation {"event_id": N}: process that journaled delivery. Raising makes the runner retry."""
    worker = state()
    buckets = fal_results.Buckets(loras=worker.settings.s3_bucket_loras, images=worker.settings.s3_bucket_images)
    event_id = int(event["event_id"])
    outcome = fal_results.process(worker.db, worker.storage, buckets, event_id, fetch_file)
    send_notifications(worker, outcome.notifications)
    log.info("FAL delivery %s", outcome.status, extra={"request_id": request_id_of(context), "event_id": event_id})
    return {"event_id": event_id, "outcome": outcome.status}


def progress_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled every minute: tell each user how their training advances (one edited message)."""
    from aisha.services import progress, users
    from aisha.telegram.progress import publish

    worker = state()
    found = progress.training_progress(worker.db, worker.fal)
    shown = 0
    for item in found:
        with worker.db.transaction() as conn:
            language = users.get_user(conn, item.avatar.user_id).language.value
        try:
            shown += worker.loop.run(_publish(worker, item, language, publish))
        except Exception as exc:  # one user's chat failing must not stop the others
            log.warning("progress of avatar %s not shown: %s", item.avatar.id, exc)
    return {"training": len(found), "updated": shown}


async def _publish(worker: WorkerState, item: Any, language: str, publish: Any) -> bool:
    bot = await worker.ready_bot()
    return bool(await publish(bot, worker.redis, item, language))
