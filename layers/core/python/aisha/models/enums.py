"""The closed vocabularies of the domain (they match the CHECK constraints of the schema)."""

from __future__ import annotations

from dataclasses import dataclass
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
        return PRESETS[self].steps


@dataclass(frozen=True)
class PresetParams:
    steps: int
    learning_rate: float  # the portrait trainer's; the fast trainer picks its own
    usual_seconds: int  # how long FAL usually trains it: the progress message's 100 %


# the one table of training presets (their user-facing durations are texts: avatar_duration_<preset>)
PRESETS: dict[Preset, PresetParams] = {
    Preset.FAST: PresetParams(steps=1000, learning_rate=0.0002, usual_seconds=8 * 60),
    Preset.BALANCED: PresetParams(steps=2500, learning_rate=0.0001, usual_seconds=18 * 60),
    Preset.QUALITY: PresetParams(steps=4000, learning_rate=0.00008, usual_seconds=30 * 60),
}


# the generation style presets: the prompt FAL gets (English, as the models understand it best); what the
# user sees are texts: gen_style_<name> (the button) and gen_style_<name>_prompt (the description shown)
STYLE_PROMPTS: dict[str, str] = {
    "business": "professional business portrait, tailored suit, soft studio lighting, neutral background, "
                "sharp focus",
    "fantasy": "epic fantasy character portrait, ornate armor, magical glowing forest, cinematic lighting, "
               "highly detailed",
    "street": "street style photo in a city at golden hour, casual outfit, shallow depth of field",
    "cinematic": "cinematic film still, dramatic lighting, moody color grading, 35mm film grain",
}


# what the notification outbox can hold; aisha/telegram/notifier.py has one renderer for each
NOTIFICATION_KINDS = frozenset({"avatar_ready", "avatar_failed", "generation_done", "generation_failed",
                                "bot_call"})  # bot_call: a flow's message kept past flood control


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
