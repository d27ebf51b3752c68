"""One error hierarchy for the core layer.

Client errors carry the HTTP status and the stable code a caller sees; upstream errors (FAL,
Telegram, storage) say whether a retry may help and when.
"""

from __future__ import annotations

from typing import Any


class AishaError(Exception):
    """Root of every error the core layer raises on purpose."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ConfigError(AishaError):
    """A missing or malformed environment variable; the message names it."""

    code = "config_error"

    def __init__(self, message: str, *, variables: list[str]):
        super().__init__(message, details={"variables": variables})
        self.variables = variables


class ClientError(AishaError):
    """The caller asked for something the rules refuse."""

    status = 400
    code = "bad_request"


class NotFound(ClientError):
    status = 404
    code = "not_found"


class Conflict(ClientError):
    status = 409
    code = "conflict"


class InsufficientFunds(ClientError):
    status = 402
    code = "insufficient_funds"


class AlreadyRefunded(Conflict):
    code = "already_refunded"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class PromoRejected(ClientError):
    """Codes: promo_not_found, promo_inactive, promo_not_started, promo_expired,
    promo_exhausted, promo_already_used."""

    status = 422
    code = "promo_rejected"


class PhotoRejected(ClientError):
    """Codes: photo_type, photo_too_large, photo_too_small, photo_unreadable, photo_duplicate,
    photo_limit."""

    status = 422
    code = "photo_rejected"


class UpstreamError(AishaError):
    """A service we depend on failed; `retryable` says whether trying again may help."""

    status = 502
    code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message, code=code, details=details)
        self.retryable = retryable
        self.retry_after = retry_after


class StorageError(UpstreamError):
    code = "storage_error"


class FalError(UpstreamError):
    code = "fal_error"


class TelegramApiError(UpstreamError):
    code = "telegram_error"
