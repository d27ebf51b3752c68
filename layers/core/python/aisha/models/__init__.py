"""The models: rows (msgspec), FAL payloads (pydantic), the Telegram update envelope and FAL webhook (msgspec).

Every name is imported from its module on first use (PEP 562), so `from aisha.models import X` builds
only the models of X's module: a webhook does not pay for the schema of every row model at start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aisha.models.entities import (
        Avatar,
        AvatarPhoto,
        Generation,
        GenerationImage,
        LedgerEntry,
        PromoCode,
        PromoRedemption,
        User,
    )
    from aisha.models.enums import (
        NOTIFICATION_KINDS,
        PRESETS,
        AvatarStatus,
        EventStatus,
        Gender,
        GenerationStatus,
        Language,
        LedgerKind,
        Preset,
        PromoKind,
        Provider,
        SignatureOutcome,
        TrainingType,
    )
    from aisha.models.events import (
        WebhookEvent,
    )
    from aisha.models.fal import (
        FalFile,
        FalImage,
        FastTrainingInput,
        GenerationInput,
        GenerationOutput,
        LoraTrainingOutput,
        LoraWeight,
        PortraitTrainingInput,
        QueueSubmission,
    )
    from aisha.models.fal_webhook import (
        FalWebhook,
    )
    from aisha.models.progress import (
        Progress,
    )
    from aisha.models.telegram import (
        TelegramUpdate,
    )

_MODULE_OF = {
    "Avatar": "entities",
    "AvatarPhoto": "entities",
    "AvatarStatus": "enums",
    "EventStatus": "enums",
    "FalFile": "fal",
    "FalImage": "fal",
    "FalWebhook": "fal_webhook",
    "FastTrainingInput": "fal",
    "Gender": "enums",
    "Generation": "entities",
    "GenerationImage": "entities",
    "GenerationInput": "fal",
    "GenerationOutput": "fal",
    "GenerationStatus": "enums",
    "Language": "enums",
    "LedgerEntry": "entities",
    "LedgerKind": "enums",
    "LoraTrainingOutput": "fal",
    "LoraWeight": "fal",
    "NOTIFICATION_KINDS": "enums",
    "PRESETS": "enums",
    "PortraitTrainingInput": "fal",
    "Preset": "enums",
    "Progress": "progress",
    "PromoCode": "entities",
    "PromoKind": "enums",
    "PromoRedemption": "entities",
    "Provider": "enums",
    "QueueSubmission": "fal",
    "SignatureOutcome": "enums",
    "TelegramUpdate": "telegram",
    "TrainingType": "enums",
    "User": "entities",
    "WebhookEvent": "events",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"aisha.models.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "NOTIFICATION_KINDS",
    "PRESETS",
    "Avatar",
    "AvatarPhoto",
    "AvatarStatus",
    "EventStatus",
    "FalFile",
    "FalImage",
    "FalWebhook",
    "FastTrainingInput",
    "Gender",
    "Generation",
    "GenerationImage",
    "GenerationInput",
    "GenerationOutput",
    "GenerationStatus",
    "Language",
    "LedgerEntry",
    "LedgerKind",
    "LoraTrainingOutput",
    "LoraWeight",
    "PortraitTrainingInput",
    "Preset",
    "Progress",
    "PromoCode",
    "PromoKind",
    "PromoRedemption",
    "Provider",
    "QueueSubmission",
    "SignatureOutcome",
    "TelegramUpdate",
    "TrainingType",
    "User",
    "WebhookEvent",
]
