"""Sending work to FAL: a training or a generation, charged and recorded in one transaction.

The coins are charged, the job submitted and its request id stored in the same transaction, so
either all of it happens or none (a failed submit rolls the charge back). A webhook that beats
our commit is journaled as unmatched and handed on again by `rematch` once the id is stored.
"""

from __future__ import annotations

import tempfile
import zipfile
from datetime import UTC, datetime
from typing import Any

from aisha.config import Settings
from aisha.db import Database
from aisha.errors import ClientError
from aisha.fal.client import FalGateway
from aisha.models import (
    PRESETS,
    Avatar,
    AvatarStatus,
    EventStatus,
    FastTrainingInput,
    Generation,
    GenerationInput,
    GenerationStatus,
    LoraWeight,
    PortraitTrainingInput,
    Provider,
    TrainingType,
)
from aisha.services import avatars, generations, journal, ledger, photos, promo
from aisha.services.fal_work import PORTRAIT_WEBHOOK, STATUS_WEBHOOK
from aisha.storage import Storage

PORTRAIT_TRAINER = "fal-ai/flux-lora-portrait-trainer"
FAST_TRAINER = "fal-ai/flux-lora-fast-training"
LORA_GENERATOR = "fal-ai/flux-lora"


def _webhook(settings: Settings, route: str) -> str:
    if not settings.public_base_url:
        raise ClientError("PUBLIC_BASE_URL is not set: FAL would have nowhere to report", code="config_error")
    return settings.public_base_url + route


def training_arguments(avatar: Avatar, images_url: str) -> tuple[str, dict[str, Any]]:
    steps = avatar.preset.steps
    if avatar.training_type is TrainingType.PORTRAIT:
        return PORTRAIT_TRAINER, PortraitTrainingInput(
            images_data_url=images_url, trigger_phrase=avatar.trigger_phrase, steps=steps,
            learning_rate=PRESETS[avatar.preset].learning_rate).model_dump()
    return FAST_TRAINER, FastTrainingInput(
        images_data_url=images_url, trigger_word=avatar.trigger_phrase, steps=steps, is_style=True,
        create_masks=False).model_dump()


def _upload_photo_zip(storage: Storage, bucket: str, keys: list[str], archive_key: str) -> None:
    """Zip the photos one at a time into a spooled file (disk past 16 MB) and stream it up:
    20 photos of 20 MB must not need 800 MB of memory."""
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as archive:  # JPEG/PNG/WebP do not compress
            for index, key in enumerate(keys):
                archive.writestr(f"{index:02d}{key[key.rfind('.'):]}", storage.get(bucket, key))
        spool.seek(0)
        storage.put_file(bucket, archive_key, spool, "application/zip")  # type: ignore[arg-type]


def start_training(db: Database, storage: Storage, fal: FalGateway, settings: Settings, *, user_id: int,
                   avatar_id: int) -> Avatar:
    webhook = _webhook(settings, PORTRAIT_WEBHOOK)
    with db.transaction() as conn:
        avatar = avatars.get(conn, avatar_id, user_id=user_id, lock=True)
        if avatar.status is not AvatarStatus.READY_FOR_TRAINING:
            raise ClientError(f"a {avatar.status.value} avatar cannot start training", code="avatar_not_ready")
        keys = [p.s3_key for p in photos.list_photos(conn, avatar_id)]
        if not photos.MIN_PHOTOS <= len(keys) <= photos.MAX_PHOTOS:
            raise ClientError(f"an avatar needs {photos.MIN_PHOTOS} to {photos.MAX_PHOTOS} photos",
                              code="photo_count")
        price = promo.discounted_price(conn, user_id, settings.price_training, consume=True)
        charge = ledger.charge(conn, user_id, price, reason=f"training avatar {avatar_id}") if price else None
        archive_key = f"{user_id}/avatars/{avatar_id}/training/photos.zip"
        _upload_photo_zip(storage, settings.s3_bucket_photos, keys, archive_key)
        images_url = storage.presign_get(settings.s3_bucket_photos, archive_key, expires=settings.presign_ttl_seconds)
        app, arguments = training_arguments(avatar, images_url)
        request_id = fal.submit(app, arguments, webhook_url=webhook)  # raises: the charge rolls back
        return avatars.transition(conn, avatar_id, AvatarStatus.TRAINING, fal_request_id=request_id,
                                  fal_model=app, training_charge_id=charge.id if charge else None, progress=0,
                                  error=None, training_started_at=datetime.now(UTC), finished_at=None)


def submit_generation(db: Database, storage: Storage, fal: FalGateway, settings: Settings, *, user_id: int,
                      prompt: str, num_images: int = 1, avatar_id: int | None = None,
                      image_size: str = "square_hd", seed: int | None = None) -> Generation:
    webhook = _webhook(settings, STATUS_WEBHOOK)
    with db.transaction() as conn:
        loras: list[LoraWeight] = []
        prompt_text = prompt.strip()
        if avatar_id is not None:
            avatar = avatars.get(conn, avatar_id, user_id=user_id)
            if avatar.status is not AvatarStatus.COMPLETED or avatar.lora_key is None:
                raise ClientError("this avatar is not trained yet", code="avatar_not_ready")
            loras.append(LoraWeight(path=storage.presign_get(settings.s3_bucket_loras, avatar.lora_key,
                                                             expires=settings.presign_ttl_seconds)))
            if avatar.trigger_phrase not in prompt_text:
                prompt_text = f"{avatar.trigger_phrase}, {prompt_text}"
        arguments = GenerationInput(prompt=prompt_text, loras=loras, image_size=image_size,  # type: ignore[arg-type]
                                    num_images=num_images, seed=seed).model_dump(exclude_none=True)
        cost = promo.discounted_price(conn, user_id, settings.price_image * num_images, consume=True)
        generation = generations.create(conn, user_id, prompt.strip(), num_images=num_images, cost=cost,
                                        avatar_id=avatar_id, params={"image_size": image_size, "seed": seed})
        charge = ledger.charge(conn, user_id, cost, reason=f"generation {generation.id}") if cost else None
        app = LORA_GENERATOR if loras else settings.fal_text_to_image_model
        request_id = fal.submit(app, arguments, webhook_url=webhook)
        return generations.transition(conn, generation.id, GenerationStatus.QUEUED, fal_request_id=request_id,
                                      fal_model=app, charge_id=charge.id if charge else None,
                                      queued_at=datetime.now(UTC))


def rematch(db: Database, request_id: str) -> list[int]:
    """Deliveries of `request_id` that arrived before we stored it: event ids to process again."""
    with db.transaction() as conn:
        event = journal.find(conn, Provider.FAL, request_id)
        if event is None or event.status is not EventStatus.UNMATCHED:
            return []
        if avatars.by_request_id(conn, request_id) is None and generations.by_request_id(conn, request_id) is None:
            return []
        journal.mark(conn, event.id, EventStatus.RECEIVED)
        return [event.id]


def cancel_training(db: Database, fal: FalGateway, *, user_id: int, avatar_id: int) -> Avatar:
    """Cancel a training FAL has not started yet: the job is cancelled at FAL, the coins refunded.

    Once FAL runs it (IN_PROGRESS) it cannot be taken back and ClientError(training_started) is raised.
    """
    with db.transaction() as conn:
        avatar = avatars.get(conn, avatar_id, user_id=user_id, lock=True)
        if avatar.status is not AvatarStatus.TRAINING or not avatar.fal_request_id or not avatar.fal_model:
            raise ClientError(f"a {avatar.status.value} avatar has no training to cancel", code="not_training")
        if fal.status(avatar.fal_model, avatar.fal_request_id).state != "IN_QUEUE":
            raise ClientError("the training has already started", code="training_started")
        fal.cancel(avatar.fal_model, avatar.fal_request_id)
        if avatar.training_charge_id is not None:
            ledger.refund_once(conn, avatar.training_charge_id, reason=f"training of avatar {avatar_id} cancelled")
        return avatars.transition(conn, avatar_id, AvatarStatus.CANCELLED, finished_at=datetime.now(UTC))
