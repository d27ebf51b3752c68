"""Errors of the FAL stand-in: each one knows the HTTP status and the body FAL would answer."""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """Root of the stand-in's errors."""


class ConfigError(SandboxError):
    """A setting the stand-in cannot use (unknown name, wrong type, out of range)."""


class QueueError(SandboxError):
    """A queue API call refused the way FAL refuses it: `status` and a JSON body."""

    status = 400

    def __init__(self, detail: str, *, status: int | None = None, body: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        if status is not None:
            self.status = status
        self.body: dict[str, Any] = body if body is not None else {"detail": detail}


class Unauthorized(QueueError):
    status = 401


class NotFound(QueueError):
    status = 404
