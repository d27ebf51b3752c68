"""Records round-trip through Redis-shaped fields; settings come from one injectable environment."""

from __future__ import annotations

import json

import pytest

from local_runner.async_events import EventConfigError, EventSettings, FailedEvent, QueuedEvent
from local_runner.async_events.records import error_text


def _as_redis(fields: dict[str, bytes | str]) -> dict[bytes, bytes]:
    return {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in fields.items()}


def test_queued_event_round_trip_keeps_binary_payload() -> None:
    event = QueuedEvent("fn", b"\x00\xff{}", "rid", attempt=2, first_enqueued_at=12.5, last_error="E: x")
    back = QueuedEvent.from_fields(_as_redis(event.fields()), "1-0", extra_deliveries=1)
    assert back.payload == b"\x00\xff{}" and back.attempt == 3 and back.entry_id == "1-0"
    assert (back.function_name, back.request_id, back.first_enqueued_at, back.last_error) == ("fn", "rid", 12.5, "E: x")


def test_failed_event_json_view() -> None:
    failed = FailedEvent("rid", "fn", b'{"a": 1}', "rid", 3, "RuntimeError: boom", 1.0, 2.0)
    back = FailedEvent.from_fields("rid", _as_redis(failed.fields()))
    assert back == failed
    assert back.to_json()["payload"] == '{"a": 1}'
    assert "attempts=3" in back.summary()


def test_error_text_reads_lambdas_error_shape() -> None:
    assert error_text(json.dumps({"errorType": "KeyError", "errorMessage": "'x'"}).encode()) == "KeyError: 'x'"
    assert error_text(b"not json") == "not json"


def test_settings_from_env() -> None:
    s = EventSettings.from_env({"REDIS_URL": "redis://h:1/2", "RUNNER_EVENTS_PREFIX": "p",
                                "RUNNER_EVENTS_BACKOFF": "1,2.5", "RUNNER_EVENTS_CONCURRENCY": "8",
                                "RUNNER_EVENTS_CLAIM_IDLE": "10"})
    assert (s.redis_url, s.prefix, s.backoff) == ("redis://h:1/2", "p", (1.0, 2.5))
    assert (s.concurrency, s.claim_idle) == (8, 10.0)
    assert s.max_attempts == 3 and s.stream("fn") == "p:stream:fn" and s.functions == "p:functions"
    defaults = EventSettings.from_env({})
    assert defaults.backoff == (60.0, 120.0) and defaults.max_attempts == 3
    with pytest.raises(EventConfigError):
        EventSettings.from_env({"RUNNER_EVENTS_BACKOFF": "soon"})
    with pytest.raises(EventConfigError):
        EventSettings.from_env({"RUNNER_EVENTS_CONCURRENCY": "0"})


def test_failed_cli_says_which_redis_it_could_not_reach() -> None:
    import io

    from local_runner.async_events import failed_cli

    err = io.StringIO()
    assert failed_cli(["list"], environ={"REDIS_URL": "redis://127.0.0.1:1/0"}, out=io.StringIO(), err=err) == 2
    assert "redis://127.0.0.1:1/0" in err.getvalue() and "REDIS_URL" in err.getvalue()
