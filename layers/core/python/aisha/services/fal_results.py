"""Processing a journaled FAL delivery: copy the files, change the state, refund, tell the user.

Exactly once: one processor per FAL request at a time (a transaction-level advisory lock held for
the whole processing), files under deterministic keys (a retry overwrites, never adds), the state
change, refund, journal mark and the user's message committed together, the message sent after.

A try that fails is not raised to the runner (whose two quick retries and failure list would spend
a delivery's chances in seconds): it is counted and scheduled again (`fal_retry.RetryPolicy`), and
the reconciler hands it on when due. When the tries run out, or the failure is one a retry cannot
mend, the work fails for good through the same path as FAL's own ERROR: refunded once, the user
told, the delivery marked `gave_up`. Only a delivery that even that cannot settle is parked.
A repeat invocation of a delivery that is settled, waiting or parked does nothing and costs no try.
"""

from __future__ import annotations

import json
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
from aisha.services import avatars, fal_retry, generations, journal, ledger, outbox, users
from aisha.services.fal_retry import RetryPolicy, error_code, safe_text
from aisha.storage import Storage

log = logging.getLogger(__name__)
Fetch = Callable[[str], bytes]


@dataclass
class Outcome:
    # processed | duplicate | unmatched | not_due | retry_scheduled | gave_up | parked
    status: str
    notifications: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Buckets:
    loras: str
    images: str


class _Failed(AishaError):
    """FAL answered OK but with nothing we can use: handled like an ERROR delivery."""


@dataclass(frozen=True)
class _Why:
    """Why the work failed, as stored on it and as the user reads it (a catalogue key, or none)."""

    reason: str
    journal_code: str | None = None  # set when we gave up (not FAL's own ERROR)
    reason_key: str | None = None


@contextmanager
def _exclusive(db: Database, request_id: str) -> Iterator[None]:
    with db.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"fal:{request_id}",))
        yield


def process(db: Database, storage: Storage, buckets: Buckets, event_id: int, fetch: Fetch,
            policy: RetryPolicy | None = None) -> Outcome:
    policy = policy or RetryPolicy()
    with db.statement() as conn:
        event = journal.get(conn, event_id)
    if event.delivery_key is None:
        raise AishaError(f"event {event_id} was refused at the door; there is nothing to process")
    try:  # Python's parser, not msgspec's: it keeps what strict JSON parsers refuse (lone surrogates)
        hook = FalWebhook.from_dict(json.loads(event.body))
    except ValueError as exc:  # not JSON, or not FAL's shape (msgspec's ValidationError is a ValueError)
        with db.statement() as conn:
            journal.mark(conn, event_id, EventStatus.PARKED, error_code="malformed_body",
                         error=safe_text(exc))
        return Outcome("parked")
    with _exclusive(db, hook.request_id):
        with db.transaction() as conn:
            event = journal.get(conn, event_id, lock=True)
            if event.status is EventStatus.PROCESSED:
                return Outcome("duplicate")
            if event.status is not EventStatus.UNMATCHED and not journal.retry_state(conn, event_id).due:
                return Outcome("not_due")  # waiting for its retry, parked, or refused: not this call's
            if _work_of(conn, hook.request_id) is None:
                # FAL can be faster than our commit: kept, and matched when the id is recorded
                journal.mark(conn, event.id, EventStatus.UNMATCHED, error_code="unknown_request_id")
                return Outcome("unmatched")
            attempts = journal.begin_attempt(conn, event_id, policy.lease_seconds)
        try:
            return _process(db, storage, buckets, event, hook, fetch)
        except Exception as exc:  # every failure of a try is counted, none is lost
            return _failed_try(db, event, hook, attempts, exc, policy)


def _work_of(conn: Connection, request_id: str) -> Avatar | Generation | None:
    return avatars.by_request_id(conn, request_id) or generations.by_request_id(conn, request_id)


def _failed_try(db: Database, event: WebhookEvent, hook: FalWebhook, attempts: int, exc: Exception,
                policy: RetryPolicy) -> Outcome:
    code, message = error_code(exc), safe_text(f"{exc}" or type(exc).__name__)
    if not policy.gives_up(attempts, exc):
        delay = policy.delay(attempts)
        with db.statement() as conn:
            journal.schedule_retry(conn, event.id, delay, error_code=code, error=message)
        log.warning("FAL delivery %s: try %s failed (%s), next in %ss", event.id, attempts, code, delay,
                    extra={"event_id": event.id, "error_code": code})
        return Outcome("retry_scheduled")
    why = _Why(f"{code}: {message}", journal_code=fal_retry.GAVE_UP, reason_key="reason_result_unavailable")
    log.error("FAL delivery %s: giving up after %s tries (%s)", event.id, attempts, code,
              extra={"event_id": event.id, "error_code": code})
    try:
        outcome = _fail_work(db, event, hook, why)
    except Exception as final:  # even failing the work failed: an operator decides
        with db.statement() as conn:
            journal.mark(conn, event.id, EventStatus.PARKED, error_code=error_code(final),
                         error=safe_text(f"cannot fail the work after {code}: {final}"))
        return Outcome("parked")
    return Outcome("gave_up" if outcome.status == "processed" else outcome.status, outcome.notifications)


def _fail_work(db: Database, event: WebhookEvent, hook: FalWebhook, why: _Why) -> Outcome:
    with db.transaction() as conn:
        avatar = avatars.by_request_id(conn, hook.request_id)
        generation = generations.by_request_id(conn, hook.request_id) if avatar is None else None
    if avatar is not None:
        return _training_failed(db, event, hook, avatar, why)
    if generation is not None:
        return _generation_failed(db, event, hook, generation, why)
    raise AishaError(f"no work has the FAL request id {hook.request_id}", code="work_not_found")


def _process(db: Database, storage: Storage, buckets: Buckets, event: WebhookEvent, hook: FalWebhook,
             fetch: Fetch) -> Outcome:
    with db.transaction() as conn:
        avatar = avatars.by_request_id(conn, hook.request_id)
        generation = generations.by_request_id(conn, hook.request_id) if avatar is None else None
    if avatar is not None:
        return _training(db, storage, buckets, event, hook, avatar, fetch)
    if generation is not None:
        return _generation(db, storage, buckets, event, hook, generation, fetch)
    raise AishaError(f"no work has the FAL request id {hook.request_id}", code="work_not_found")


def _done(db: Database, event: WebhookEvent, hook: FalWebhook) -> Outcome:
    with db.transaction() as conn:
        return _duplicate(conn, event, hook)


def _duplicate(conn: Connection, event: WebhookEvent, hook: FalWebhook) -> Outcome:
    """The work was settled by an earlier delivery: this one only gets its journal mark."""
    journal.mark(conn, event.id, EventStatus.PROCESSED)
    journal.settle_fal_siblings(conn, _keys(hook), event.id)
    return Outcome("duplicate")


def _keys(hook: FalWebhook) -> list[str]:
    """The journal keys one FAL request can have: FAL's delivery, and the reconciler's own."""
    return [hook.request_id, reconcile_key(hook.request_id)]


def reconcile_key(request_id: str) -> str:
    return f"{request_id}#reconcile"


def _settle(conn: Connection, event: WebhookEvent, hook: FalWebhook, user_id: int, note: str, kind: str,
            payload: dict[str, Any], why: _Why | None = None) -> Outcome:
    """In the transaction of the state change: queue the user's message, mark the delivery processed
    (with `gave_up` and the last failure when our tries ran out)."""
    language = users.get_user(conn, user_id).language.value
    outbox.enqueue(conn, note, user_id, kind, {**payload, "language": language})
    given_up = why is not None and why.journal_code is not None
    journal.mark(conn, event.id, EventStatus.PROCESSED, error_code=why.journal_code if why else None,
                 error=why.reason if why and given_up else None)
    journal.settle_fal_siblings(conn, _keys(hook), event.id)
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
        return _done(db, event, hook)
    try:
        if not hook.succeeded:
            raise _Failed(hook.failure_reason)
        try:
            output = LoraTrainingOutput.model_validate(hook.payload)
        except ValidationError:
            raise _Failed("FAL returned no LoRA file") from None
    except _Failed as failure:
        return _training_failed(db, event, hook, avatar, _Why(safe_text(failure.message, 1000)))

    lora = lora_key(avatar.user_id, avatar.id, "lora.safetensors")
    _copy(storage, buckets.loras, lora, output.diffusers_lora_file.url, "application/octet-stream", fetch)
    config = None
    if output.config_file is not None:
        config = lora_key(avatar.user_id, avatar.id, "config.json")
        _copy(storage, buckets.loras, config, output.config_file.url, "application/json", fetch)

    with db.transaction() as conn:
        if avatars.get(conn, avatar.id, lock=True).status is not AvatarStatus.TRAINING:
            return _duplicate(conn, event, hook)
        avatars.transition(conn, avatar.id, AvatarStatus.COMPLETED, lora_key=lora, config_key=config, progress=100,
                           finished_at=datetime.now(UTC), error=None)
        return _settle(conn, event, hook, avatar.user_id, f"avatar:{avatar.id}:{hook.request_id}:ready",
                       "avatar_ready", {"avatar_id": avatar.id, "name": avatar.name})


def _training_failed(db: Database, event: WebhookEvent, hook: FalWebhook, avatar: Avatar, why: _Why) -> Outcome:
    with db.transaction() as conn:
        current = avatars.get(conn, avatar.id, lock=True)
        if current.status is not AvatarStatus.TRAINING:
            return _duplicate(conn, event, hook)
        avatars.transition(conn, avatar.id, AvatarStatus.ERROR, error=safe_text(why.reason, 1000),
                           finished_at=datetime.now(UTC))
        coins = _refund(conn, current.training_charge_id, f"training of avatar {avatar.id} failed")
        payload = {"name": avatar.name, "coins": coins, **({"reason_key": why.reason_key} if why.reason_key else {})}
        return _settle(conn, event, hook, avatar.user_id, f"avatar:{avatar.id}:{hook.request_id}:failed",
                       "avatar_failed", payload, why)


def _generation(db: Database, storage: Storage, buckets: Buckets, event: WebhookEvent, hook: FalWebhook,
                generation: Generation, fetch: Fetch) -> Outcome:
    if generation.status is not GenerationStatus.QUEUED:
        return _done(db, event, hook)
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
        return _generation_failed(db, event, hook, generation, _Why(safe_text(failure.message, 1000)))

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
            return _duplicate(conn, event, hook)
        for position, key, content_type, width, height in kept:
            generations.add_image(conn, generation.id, position, key, content_type, width=width, height=height)
        generations.transition(conn, generation.id, GenerationStatus.COMPLETED, finished_at=datetime.now(UTC))
        return _settle(conn, event, hook, generation.user_id, f"generation:{generation.id}:done", "generation_done", {
            "prompt": generation.prompt, "keys": [k for _, k, _, _, _ in kept],
            "hidden": len(output.images) - len(kept), "generation_id": generation.id,
            "avatar_id": generation.avatar_id})


def _generation_failed(db: Database, event: WebhookEvent, hook: FalWebhook, generation: Generation,
                       why: _Why) -> Outcome:
    with db.transaction() as conn:
        current = generations.get(conn, generation.id, lock=True)
        if current.status is not GenerationStatus.QUEUED:
            return _duplicate(conn, event, hook)
        generations.transition(conn, generation.id, GenerationStatus.FAILED, error=safe_text(why.reason, 1000),
                               finished_at=datetime.now(UTC))
        coins = _refund(conn, current.charge_id, f"generation {generation.id} failed")
        payload = {"coins": coins, **({"reason_key": why.reason_key} if why.reason_key else {})}
        return _settle(conn, event, hook, generation.user_id, f"generation:{generation.id}:failed",
                       "generation_failed", payload, why)
