"""Rows of the schema as frozen msgspec structs, built from psycopg dict rows (`Model.from_row`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aisha.models.base import Entity
from aisha.models.enums import (
    AvatarStatus,
    Gender,
    GenerationStatus,
    Language,
    LedgerKind,
    Preset,
    PromoKind,
    TrainingType,
)


class User(Entity, frozen=True, kw_only=True):
    id: int
    username: str | None
    first_name: str
    last_name: str | None
    language: Language
    created_at: datetime
    # None until the welcome went out: a handler killed after registering the user and before the
    # welcome runs again for a known user, and still owes it (users.mark_welcomed)
    welcomed_at: datetime | None = None


class LedgerEntry(Entity, frozen=True, kw_only=True):
    id: int
    user_id: int
    amount: int
    kind: LedgerKind
    reason: str
    refund_of: int | None
    idempotency_key: str | None
    created_at: datetime


class PromoCode(Entity, frozen=True, kw_only=True):
    code: str
    kind: PromoKind
    value: int
    valid_from: datetime | None
    valid_until: datetime | None
    max_uses: int | None
    per_user_limit: int
    uses: int
    active: bool


class PromoRedemption(Entity, frozen=True, kw_only=True):
    id: int
    code: str
    user_id: int
    ledger_entry_id: int | None
    applied_at: datetime | None
    created_at: datetime


class Avatar(Entity, frozen=True, kw_only=True):
    id: int
    user_id: int
    name: str
    gender: Gender
    training_type: TrainingType
    preset: Preset
    trigger_phrase: str
    is_main: bool
    status: AvatarStatus
    fal_request_id: str | None
    fal_model: str | None
    training_charge_id: int | None
    lora_key: str | None
    config_key: str | None
    progress: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    training_started_at: datetime | None
    finished_at: datetime | None


class AvatarPhoto(Entity, frozen=True, kw_only=True):
    id: int
    avatar_id: int
    s3_key: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    position: int
    created_at: datetime


class Generation(Entity, frozen=True, kw_only=True):
    id: int
    user_id: int
    avatar_id: int | None
    prompt: str
    params: dict[str, Any]
    num_images: int
    status: GenerationStatus
    fal_request_id: str | None
    fal_model: str | None
    cost: int
    charge_id: int | None
    error: str | None
    created_at: datetime
    queued_at: datetime | None
    finished_at: datetime | None


class GenerationImage(Entity, frozen=True, kw_only=True):
    id: int
    generation_id: int
    position: int
    s3_key: str
    content_type: str
    width: int | None
    height: int | None
    nsfw: bool
