"""The closed vocabularies of the domain (they match the CHECK constraints of the schema)."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    RU = "ru"
    EN = "en"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class TrainingType(StrEnum):
    PORTRAIT = "portrait"
    STYLE = "style"


class Preset(StrEnum):
    FAST = "fast"
    BALANCED = "balanced"
    QUALITY = "quality"

    @property
    def steps(self) -> int:
        return {"fast": 1000, "balanced": 2500, "quality": 4000}[self.value]


class AvatarStatus(StrEnum):
    DRAFT = "draft"
    PHOTOS_UPLOADING = "photos_uploading"
    READY_FOR_TRAINING = "ready_for_training"
    TRAINING = "training"
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"


class GenerationStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    COMPLETED = "completed"
    FAILED = "failed"


class LedgerKind(StrEnum):
    TOPUP = "topup"
    PROMO = "promo"
    BONUS = "bonus"
    CHARGE = "charge"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class PromoKind(StrEnum):
    COINS = "coins"
    BONUS_PERCENT = "bonus_percent"
    DISCOUNT_PERCENT = "discount_percent"


class Provider(StrEnum):
    FAL = "fal"
    TELEGRAM = "telegram"


class SignatureOutcome(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"
    STALE = "stale"
    UNCHECKED = "unchecked"


class EventStatus(StrEnum):
    REJECTED = "rejected"
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    UNMATCHED = "unmatched"
    FAILED = "failed"
    PARKED = "parked"
