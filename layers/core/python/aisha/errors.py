"""One error hierarchy for the core layer: every error it raises on purpose is defined here.

Client errors carry the HTTP status and the stable code a caller sees; upstream errors (FAL,
Telegram, storage, the database, the Invoke API) say whether a retry may help and when. Services
only raise these; the handlers' edge (aisha/handlers/edge.py) alone turns one into an HTTP answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aisha.models.enums import SignatureOutcome


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
        """The JSON body a caller sees: the stable code, the message, and details when there are any."""
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


class Unauthorized(ClientError):
    status = 401
    code = "unauthorized"


class WebhookRejected(ClientError):
    """A FAL delivery that fails verification. Codes: missing_header (400), malformed_header (400),
    stale_timestamp (401), invalid_signature (401); `outcome` is what the journal records."""

    status = 401

    def __init__(self, message: str, *, code: str, status: int, outcome: SignatureOutcome) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.outcome = outcome


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


class Unavailable(UpstreamError):
    """Something we depend on is down for now: the caller should deliver again after `retry_after` s."""

    status = 503
    code = "unavailable"


class DatabaseUnavailable(UpstreamError):
    code = "database_unavailable"


class InvokeError(UpstreamError):
    """The Lambda Invoke API refused or could not be reached."""

    code = "invoke_failed"


class StorageError(UpstreamError):
    code = "storage_error"


class FalError(UpstreamError):
    code = "fal_error"


class TelegramApiError(UpstreamError):
    """The Bot API failed; `retry_after` is set when Telegram asked us to wait (flood control, 429)."""

    code = "telegram_error"
