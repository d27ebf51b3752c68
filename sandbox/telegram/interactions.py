"""Things a user started that wait for the bot: callback queries and Stars checkouts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Checkout:
    """A Stars payment a user started: pre_checkout_query sent, waiting for the bot's answer."""

    id: str
    chat_id: int
    invoice_message_id: int
    invoice: dict[str, Any]
    payload: str
    created_at: float
    status: str = "pending"  # pending | paid | declined | expired
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None
    update_ids: list[int] = field(default_factory=list)
    rev: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "chat_id": self.chat_id, "invoice_message_id": self.invoice_message_id,
                "invoice": self.invoice, "invoice_payload": self.payload, "status": self.status,
                "error_message": self.error_message, "created_at": self.created_at,
                "telegram_payment_charge_id": self.telegram_payment_charge_id, "update_ids": self.update_ids,
                "rev": self.rev}


@dataclass
class CallbackQuery:
    id: str
    chat_id: int
    message_id: int
    data: str | None
    created_at: float
    answer: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "chat_id": self.chat_id, "message_id": self.message_id, "data": self.data,
                "created_at": self.created_at, "answered": self.answer is not None, "answer": self.answer}


@dataclass
class Fault:
    """An error the Bot API answers instead of running the next ``remaining`` matching calls."""

    id: int
    method: str | None
    chat_id: int | None
    error_code: int
    description: str
    retry_after: int | None
    remaining: int

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (self.remaining > 0 and (self.method is None or self.method.lower() == method.lower())
                and (self.chat_id is None or self.chat_id == chat_id))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "chat_id": self.chat_id, "error_code": self.error_code,
                "description": self.description, "retry_after": self.retry_after, "remaining": self.remaining}


DEFAULT_FAULT_DESCRIPTIONS = {400: "Bad Request: injected by the sandbox",
                              403: "Forbidden: bot was blocked by the user",
                              429: "Too Many Requests: retry after {retry_after}",
                              500: "Internal Server Error", 502: "Bad Gateway"}
