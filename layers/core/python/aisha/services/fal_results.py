"""Processing a journaled FAL delivery: copy the files, change the state, refund, tell the user.

Exactly once: one processor per request id at a time (a transaction-level advisory lock held for
the whole processing), files under deterministic keys (a retry overwrites, never adds), the state
change, refund, journal mark and the user's message committed together, the message sent after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from aisha.db import Connection, Database
from aisha.errors import AishaError
from aisha.keys import image_key, lora_key
from aisha.models import (
    Avatar,
    AvatarStatus,
    EventStatus,
    FalWebhook,
    Generation,
    GenerationOutput,
    GenerationStatus,
    LoraTrainingOutput,
    WebhookEvent,
)
from aisha.services import avatars, generations, journal, ledger, outbox, users
from aisha.storage import Storage

log = logging.getLogger(__name__)
Fetch = Callable[[str], bytes]
MAX_ATTEMPTS = 3  # Lambda's async invocation: the first try and two retries


@dataclass
class Outcome:
    status: str  # processed | duplicate | unmatched
    notifications: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Buckets:
    loras: str
    images: str


class _Failed(AishaError):
    """FAL answered OK but with nothing we can use: handled like an ERROR delivery."""


@contextmanager
def _exclusive(db: Database, request_id: str) -> Iterator[None]:
    with db.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"fal:{request_id}",))
        yield


def process(db: Database, storage: Storage, buckets: Buckets, event_id: int, fetch: Fetch) -> Outcome:
    with db.transaction() as conn:
        event = journal.get(conn, event_id)
    if event.delivery_key is None:
        raise AishaError(f"event {event_id} was refused at the door; there is nothing to process")
    with _exclusive(db, event.delivery_key):
        with db.transaction() as conn:
            event = journal.get(conn, event_id, lock=True)
            if event.status is EventStatus.PROCESSED:
                return Outcome("duplicate")
            attempts = conn.execute(
                "UPDATE webhook_events SET processing_attempts = processing_attempts + 1, status = 'processing' "
                "WHERE id = %s RETURNING processing_attempts", (event_id,)).fetchone()
        try:
            return _process(db, storage, buckets, event, fetch)
        except Exception as exc:
            final = attempts is not None and attempts["processing_attempts"] >= MAX_ATTEMPTS
            with db.transaction() as conn:
                journal.mark(conn, event_id, EventStatus.PARKED if final else EventStatus.FAILED,
                             error_code=getattr(exc, "code", "processing_error"), error=f"{exc}")
            raise


def _process(db: Database, storage: Storage, buckets: Buckets, event: WebhookEvent, fetch: Fetch) -> Outcome:
    hook = FalWebhook.model_validate_json(event.body)
    with db.transaction() as conn:
        avatar = avatars.by_request_id(conn, hook.request_id)
        generation = generations.by_request_id(conn, hook.request_id) if avatar is None else None
        if avatar is None and generation is None:
            # FAL can be faster than our commit: kept, and matched when the id is recorded
            journal.mark(conn, event.id, EventStatus.UNMATCHED, error_code="unknown_request_id")
            return Outcome("unmatched")
    if avatar is not None:
        return _training(db, storage, buckets, event, hook, avatar, fetch)
    assert generation is not None
    return _generation(db, storage, buckets, event, hook, generation, fetch)


def _done(db: Database, event: WebhookEvent) -> Outcome:
    with db.transaction() as conn:
        return _duplicate(conn, event)


def _duplicate(conn: Connection, event: WebhookEvent) -> Outcome:
    """The work was settled by an earlier delivery: this one only gets its journal mark."""
    journal.mark(conn, event.id, EventStatus.PROCESSED)
    return Outcome("duplicate")


def _settle(conn: Connection, event: WebhookEvent, user_id: int, note: str, kind: str,
            payload: dict[str, Any]) -> Outcome:
    """In the transaction of the state change: queue the user's message, mark the delivery processed."""
    language = users.get_user(conn, user_id).language.value
    outbox.enqueue(conn, note, user_id, kind, {**payload, "language": language})
    journal.mark(conn, event.id, EventStatus.PROCESSED)
    return Outcome("processed", [note])


def _refund(conn: Connection, charge_id: int | None, reason: str) -> int:
    """Coins given back for a failed job (0 when it was free or is already refunded)."""
    refund = ledger.refund_once(conn, charge_id, reason=reason) if charge_id is not None else None
    return refund.amount if refund else 0


def _copy(storage: Storage, bucket: str, key: str, url: str, content_type: str, fetch: Fetch) -> None:
    storage.put(bucket, key, fetch(url), content_type)


def _training(db: Database, storage: Storage, buckets: Buckets, event: WebhookEvent, hook: FalWebhook,
              avatar: Avatar, fetch: Fetch) -> Outcome:
    if avatar.status is not AvatarStatus.TRAINING:
        return _done(db, event)
    try:
        if not hook.succeeded:
            raise _Failed(hook.failure_reason)
        try:
            output = LoraTrainingOutput.model_validate(hook.payload)
        except ValidationError:
            raise _Failed("FAL returned no LoRA file") from None
    except _Failed as failure:
        return _training_failed(db, event, avatar, failure.message)

    lora = lora_key(avatar.user_id, avatar.id, "lora.safetensors")
    _copy(storage, buckets.loras, lora, output.diffusers_lora_file.url, "application/octet-stream", fetch)
    config = None
    if output.config_file is not None:
        config = lora_key(avatar.user_id, avatar.id, "config.json")
        _copy(storage, buckets.loras, config, output.config_file.url, "application/json", fetch)

    with db.transaction() as conn:
        if avatars.get(conn, avatar.id, lock=True).status is not AvatarStatus.TRAINING:
            return _duplicate(conn, event)
        avatars.transition(conn, avatar.id, AvatarStatus.COMPLETED, lora_key=lora, config_key=config, progress=100,
                           finished_at=datetime.now(UTC), error=None)
        return _settle(conn, event, avatar.user_id, f"avatar:{avatar.id}:{hook.request_id}:ready", "avatar_ready",
                       {"avatar_id": avatar.id, "name": avatar.name})


def _training_failed(db: Database, event: WebhookEvent, avatar: Avatar, reason: str) -> Outcome:
    with db.transaction() as conn:
        current = avatars.get(conn, avatar.id, lock=True)
        if current.status is not AvatarStatus.TRAINING:
            return _duplicate(conn, event)
        avatars.transition(conn, avatar.id, AvatarStatus.ERROR, error=reason[:1000], finished_at=datetime.now(UTC))
        coins = _refund(conn, current.training_charge_id, f"training of avatar {avatar.id} failed")
        return _settle(conn, event, avatar.user_id, f"avatar:{avatar.id}:{event.delivery_key}:failed",
                       "avatar_failed", {"name": avatar.name, "coins": coins})


def _generation(db: Database, storage: Storage, buckets: Buckets, event: WebhookEvent, hook: FalWebhook,
                generation: Generation, fetch: Fetch) -> Outcome:
    if generation.status is not GenerationStatus.QUEUED:
        return _done(db, event)
    try:
        if not hook.succeeded:
            raise _Failed(hook.failure_reason)
        try:
            output = GenerationOutput.model_validate(hook.payload)
        except ValidationError:
            raise _Failed("FAL returned no images") from None
        if not output.images:
            raise _Failed("FAL returned no images")
    except _Failed as failure:
        return _generation_failed(db, event, generation, failure.message)

    kept: list[tuple[int, str, str, int | None, int | None]] = []
    for position, image in enumerate(output.images):
        if output.nsfw(position):
            continue  # never copied, never sent
        content_type = image.content_type or "image/jpeg"
        key = image_key(generation.user_id, generation.id, position, content_type)
        _copy(storage, buckets.images, key, image.url, content_type, fetch)
        kept.append((position, key, content_type, image.width, image.height))

    with db.transaction() as conn:
        if generations.get(conn, generation.id, lock=True).status is not GenerationStatus.QUEUED:
            return _duplicate(conn, event)
        for position, key, content_type, width, height in kept:
            generations.add_image(conn, generation.id, position, key, content_type, width=width, height=height)
        generations.transition(conn, generation.id, GenerationStatus.COMPLETED, finished_at=datetime.now(UTC))
        return _settle(conn, event, generation.user_id, f"generation:{generation.id}:done", "generation_done", {
            "prompt": generation.prompt, "keys": [k for _, k, _, _, _ in kept],
            "hidden": len(output.images) - len(kept), "generation_id": generation.id,
            "avatar_id": generation.avatar_id})


def _generation_failed(db: Database, event: WebhookEvent, generation: Generation, reason: str) -> Outcome:
    with db.transaction() as conn:
        current = generations.get(conn, generation.id, lock=True)
        if current.status is not GenerationStatus.QUEUED:
            return _duplicate(conn, event)
        generations.transition(conn, generation.id, GenerationStatus.FAILED, error=reason[:1000],
                               finished_at=datetime.now(UTC))
        coins = _refund(conn, current.charge_id, f"generation {generation.id} failed")
        return _settle(conn, event, generation.user_id, f"generation:{generation.id}:failed", "generation_failed",
                       {"coins": coins})
