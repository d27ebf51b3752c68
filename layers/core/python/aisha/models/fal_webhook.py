"""What FAL POSTs to our webhook URL when a queued request ends.

A msgspec struct, not a pydantic model, as the webhooks' envelopes are: the FAL webhook functions start
without importing pydantic. Fields FAL adds are ignored; the journal keeps the whole body.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from aisha.models.body import decode


class FalWebhook(msgspec.Struct, frozen=True, kw_only=True):
    """Made by from_json or from_dict, which raise ValueError naming what is wrong with the body."""

    request_id: Annotated[str, Meta(min_length=1, max_length=200)]
    gateway_request_id: str | None = None
    status: Literal["OK", "ERROR"]
    payload: dict[str, Any] | None = None
    error: str | None = None
    payload_error: str | None = None

    @classmethod
    def from_json(cls, body: bytes) -> FalWebhook:
        return decode(body, cls)

    @classmethod
    def from_dict(cls, raw: Any) -> FalWebhook:
        return msgspec.convert(raw, cls)

    @property
    def succeeded(self) -> bool:
        return self.status == "OK" and self.payload is not None

    @property
    def failure_reason(self) -> str:
        return self.error or self.payload_error or "unknown error"
