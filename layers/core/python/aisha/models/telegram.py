"""The parts of a Telegram update the webhook function reads before python-telegram-bot does.

The webhook needs only the update id (dedupe), the chat (ordering) and the kind (routing); the
handler functions parse the full update with python-telegram-bot's own classes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

UPDATE_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
    "inline_query",
    "channel_post",
)


class TelegramUpdate(BaseModel):
    model_config = ConfigDict(extra="allow")

    update_id: int = Field(ge=0)
    message: dict[str, Any] | None = None
    edited_message: dict[str, Any] | None = None
    callback_query: dict[str, Any] | None = None
    pre_checkout_query: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        for name in UPDATE_KINDS:
            if getattr(self, name, None) or (self.model_extra or {}).get(name):
                return name
        extra = [key for key in (self.model_extra or {}) if key != "update_id"]
        return extra[0] if extra else "unknown"

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
