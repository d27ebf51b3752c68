"""The webhook event journal's row, read by every webhook and by tg_dispatch (`WebhookEvent.from_row`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aisha.models.base import Entity
from aisha.models.enums import EventStatus, Provider, SignatureOutcome


class WebhookEvent(Entity, frozen=True, kw_only=True):
    id: int
    provider: Provider
    endpoint: str
    delivery_key: str | None
    claimed_key: str | None
    headers: dict[str, Any]
    body: bytes
    signature: SignatureOutcome
    status: EventStatus
    error_code: str | None
    last_error: str | None
    attempts: int
    received_at: datetime
    last_seen_at: datetime
    processed_at: datetime | None
