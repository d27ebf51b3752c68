"""The webhook event journal's row.

A msgspec struct, not a pydantic entity like the other rows: every webhook journals its delivery, and
the webhook functions start without importing pydantic (bench/cold_start.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from aisha.models.enums import EventStatus, Provider, SignatureOutcome


class WebhookEvent(msgspec.Struct, frozen=True, kw_only=True):
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

    @classmethod
    def from_row(cls, row: Any) -> WebhookEvent:
        """The row as read, a mapping (columns it does not name are left out); ValueError if it is not one."""
        return msgspec.convert(row, cls)
