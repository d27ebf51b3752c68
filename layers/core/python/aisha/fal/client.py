"""The outbound FAL queue client, on `fal-client`, with FAL's failures mapped to our errors.

`fal_client` reads its hosts (FAL_RUN_HOST / FAL_QUEUE_RUN_HOST) from the environment when it is
imported, so it is imported here, on first use, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

from aisha.errors import FalError

QueueState = Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]


@dataclass(frozen=True)
class QueueStatus:
    state: QueueState
    position: int | None = None
    error: str | None = None  # set when COMPLETED with an error


def _mapped(exc: Exception, action: str) -> FalError:
    import fal_client

    if isinstance(exc, fal_client.client.FalClientHTTPError):
        status = exc.status_code
        retry_after = exc.response_headers.get("retry-after") if exc.response_headers else None
        retryable = status >= 500 or status == 429
        code = {401: "fal_unauthorized", 403: "fal_forbidden", 404: "fal_not_found", 422: "fal_invalid_input",
                429: "fal_rate_limited"}.get(status, "fal_error")
        return FalError(f"FAL {action} failed ({status}): {exc.message[:300]}", code=code, retryable=retryable,
                        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
                        details={"status": status})
    if isinstance(exc, httpx.HTTPError | TimeoutError | OSError):
        return FalError(f"FAL {action} failed: {exc.__class__.__name__}: {exc}", code="fal_unreachable")
    return FalError(f"FAL {action} failed: {exc}")


class FalGateway:
    def __init__(self, key: str | None, *, timeout: float = 30.0) -> None:
        self._key = key
        self._timeout = timeout
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import fal_client

            if not self._key:
                raise FalError("FAL_KEY is not set", code="fal_unauthorized", retryable=False)
            self._client = fal_client.SyncClient(key=self._key, default_timeout=self._timeout)
        return self._client

    def submit(self, app: str, arguments: dict[str, Any], *, webhook_url: str) -> str:
        try:
            handle = self.client.submit(app, arguments, webhook_url=webhook_url)
        except Exception as exc:  # every failure of the call becomes a FalError
            raise _mapped(exc, "submit") from exc
        return str(handle.request_id)

    def status(self, app: str, request_id: str) -> QueueStatus:
        import fal_client

        try:
            status = self.client.status(app, request_id, with_logs=False)
        except Exception as exc:
            raise _mapped(exc, "status") from exc
        if isinstance(status, fal_client.Queued):
            return QueueStatus("IN_QUEUE", position=status.position)
        if isinstance(status, fal_client.InProgress):
            return QueueStatus("IN_PROGRESS")
        return QueueStatus("COMPLETED", error=getattr(status, "error", None))

    def result(self, app: str, request_id: str) -> dict[str, Any]:
        try:
            return dict(self.client.result(app, request_id))
        except Exception as exc:
            raise _mapped(exc, "result") from exc

    def cancel(self, app: str, request_id: str) -> None:
        try:
            self.client.cancel(app, request_id)
        except Exception as exc:
            raise _mapped(exc, "cancel") from exc
