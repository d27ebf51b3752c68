"""The two records the queue keeps: an event on its way, and an event parked after its last attempt."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any


def _text(value: bytes | str | None, default: str = "") -> str:
    if value is None:
        return default
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class QueuedEvent:
    """One delivery of an Event invocation. `attempt` counts from 1; Lambda's retries keep the request id."""

    function_name: str
    payload: bytes
    request_id: str
    attempt: int = 1
    first_enqueued_at: float = 0.0
    last_error: str = ""
    replay_of: str = ""
    entry_id: str = ""  # the stream entry this delivery came from (empty before it is added)

    def fields(self) -> dict[str, bytes | str]:
        """Redis hash / stream fields (the payload stays raw bytes)."""
        return {
            "function": self.function_name,
            "payload": self.payload,
            "request_id": self.request_id,
            "attempt": str(self.attempt),
            "first_enqueued_at": repr(self.first_enqueued_at or time.time()),
            "last_error": self.last_error,
            "replay_of": self.replay_of,
        }

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes], entry_id: str = "", extra_deliveries: int = 0) -> QueuedEvent:
        raw = {_text(k): v for k, v in fields.items()}
        payload = raw.get("payload", b"")
        return cls(
            function_name=_text(raw.get("function")),
            payload=payload if isinstance(payload, bytes) else str(payload).encode(),
            request_id=_text(raw.get("request_id")),
            attempt=int(_text(raw.get("attempt"), "1")) + extra_deliveries,
            first_enqueued_at=float(_text(raw.get("first_enqueued_at"), "0")),
            last_error=_text(raw.get("last_error")),
            replay_of=_text(raw.get("replay_of")),
            entry_id=entry_id,
        )


@dataclass(frozen=True)
class FailedEvent:
    """An event parked on the failure list: what ran, how often, why it failed, and when."""

    failure_id: str
    function_name: str
    payload: bytes
    request_id: str
    attempts: int
    last_error: str
    first_enqueued_at: float
    parked_at: float

    def fields(self) -> dict[str, bytes | str]:
        return {
            "function": self.function_name,
            "payload": self.payload,
            "request_id": self.request_id,
            "attempts": str(self.attempts),
            "last_error": self.last_error,
            "first_enqueued_at": repr(self.first_enqueued_at),
            "parked_at": repr(self.parked_at),
        }

    @classmethod
    def from_fields(cls, failure_id: str, fields: dict[bytes, bytes]) -> FailedEvent:
        raw = {_text(k): v for k, v in fields.items()}
        return cls(
            failure_id=failure_id,
            function_name=_text(raw.get("function")),
            payload=raw.get("payload", b""),
            request_id=_text(raw.get("request_id")),
            attempts=int(_text(raw.get("attempts"), "0")),
            last_error=_text(raw.get("last_error")),
            first_enqueued_at=float(_text(raw.get("first_enqueued_at"), "0")),
            parked_at=float(_text(raw.get("parked_at"), "0")),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view; the payload is shown as text when it is UTF-8, else as base64."""
        out = asdict(self)
        try:
            out["payload"] = self.payload.decode()
        except UnicodeDecodeError:
            import base64

            out["payload"] = None
            out["payload_base64"] = base64.b64encode(self.payload).decode()
        return out

    def summary(self) -> str:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.parked_at))
        error = self.last_error.replace("\n", " ")
        return f"{self.failure_id}  {self.function_name}  attempts={self.attempts}  parked={when}  {error[:120]}"


def error_text(payload: bytes) -> str:
    """Lambda's error shape `{"errorType", "errorMessage"}` as one line; anything else verbatim."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return payload[:500].decode(errors="replace")
    if isinstance(data, dict) and ("errorType" in data or "errorMessage" in data):
        return f"{data.get('errorType', 'Error')}: {data.get('errorMessage', '')}"
    return json.dumps(data)[:500]
