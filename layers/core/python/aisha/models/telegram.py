"""The parts of a Telegram update the webhook function reads before python-telegram-bot does.

The webhook needs only the update id (dedupe), the chat (ordering) and the kind (routing); the
handler functions parse the full update with python-telegram-bot's own classes. A msgspec struct,
not a pydantic model, as the webhooks' envelopes are: `tg_webhook` starts without importing pydantic.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from aisha.models.body import decode

UPDATE_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
    "inline_query",
    "channel_post",
)


class _Fields(msgspec.Struct, frozen=True, kw_only=True):
    """What is read of an update's body; any other field is kept only by name (TelegramUpdate.kind)."""

    update_id: Annotated[int, Meta(ge=0)]
    message: dict[str, Any] | None = None
    edited_message: dict[str, Any] | None = None
    callback_query: dict[str, Any] | None = None
    pre_checkout_query: dict[str, Any] | None = None


class TelegramUpdate(_Fields, frozen=True, kw_only=True):
    """Made by from_json or from_dict, which raise ValueError naming what is wrong with the body."""

    kind: str = "unknown"  # the kind of update: its first non-empty payload field

    @classmethod
    def from_json(cls, body: bytes) -> TelegramUpdate:
        return cls.from_dict(decode(body))

    @classmethod
    def from_dict(cls, raw: Any) -> TelegramUpdate:
        fields = msgspec.convert(raw, _Fields)  # raw is a dict from here on: a non-object fails above
        kind = next((name for name in UPDATE_KINDS if raw.get(name)), None)
        kind = kind or next((key for key in raw if key not in _Fields.__struct_fields__), "unknown")
        return cls(**msgspec.structs.asdict(fields), kind=kind)

    @property
    def chat_id(self) -> int | None:
        for container in (self.message, self.edited_message):
            if container and isinstance(container.get("chat"), dict):
                return int(container["chat"]["id"])
        if self.callback_query:
            message = self.callback_query.get("message") or {}
            if isinstance(message.get("chat"), dict):
                return int(message["chat"]["id"])
            return int(self.callback_query["from"]["id"])
        if self.pre_checkout_query:
            return int(self.pre_checkout_query["from"]["id"])
        return None
