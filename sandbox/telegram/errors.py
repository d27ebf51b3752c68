"""Errors of the Telegram stand-in.

``BotApiError`` is what a Bot API method raises; the server turns it into Telegram's own error body
(``{"ok": false, "error_code": ..., "description": ...}``). ``AdminError`` is the sandbox's own admin
API failing (unknown chat, bad upload); it becomes ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """Root of every error the Telegram stand-in raises."""


class BotApiError(SandboxError):
    """An answer of the Bot API that is not ``ok``, with Telegram's status and wording."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> BotApiError:
    """Telegram's 400: ``Bad Request: <detail>``."""
    return BotApiError(400, f"Bad Request: {detail}")


def unauthorized() -> BotApiError:
    return BotApiError(401, "Unauthorized")


def not_found() -> BotApiError:
    return BotApiError(404, "Not Found")


def conflict(detail: str) -> BotApiError:
    return BotApiError(409, f"Conflict: {detail}")


def too_large() -> BotApiError:
    return BotApiError(413, "Request Entity Too Large")


class AdminError(SandboxError):
    """A request to the sandbox's own ``/_sandbox`` API that cannot be served."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": {"code": self.code, "message": self.message}}


class ConfigurationError(SandboxError):
    """The stand-in was configured with values it cannot run with (a malformed token, say)."""
