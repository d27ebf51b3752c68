"""The FAL retry schedule and safe text: pure functions, no servers (PostgreSQL itself taking the text:
tests/integration/core/test_fal_retries.py)."""

from __future__ import annotations

import pytest
from aisha.config import load_settings
from aisha.errors import FalError, StorageError
from aisha.services.fal_retry import RetryPolicy, error_code, safe_text

BASE_ENV = {"DATABASE_URL": "postgresql://u@h/d", "REDIS_URL": "redis://h"}


def test_the_default_schedule_doubles_to_an_hour_and_spans_hours() -> None:
    policy = RetryPolicy.from_settings(load_settings(BASE_ENV))
    waits = [policy.delay(attempt) for attempt in range(1, policy.max_attempts)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert 3 * 3600 < sum(waits) < 6 * 3600  # FAL keeps files for days: hours of tries, not seconds
    assert [policy.gives_up(n, OSError("reset")) for n in (1, 9, 10)] == [False, False, True]


def test_the_schedule_comes_from_the_settings() -> None:
    settings = load_settings({**BASE_ENV, "FAL_RETRY_MAX_ATTEMPTS": "4", "FAL_RETRY_BASE_SECONDS": "5",
                              "FAL_RETRY_MAX_DELAY_SECONDS": "12", "FAL_HAND_ON_LEASE_SECONDS": "30"})
    policy = RetryPolicy.from_settings(settings)
    assert (policy.max_attempts, policy.lease_seconds) == (4, 30)
    assert [policy.delay(n) for n in (1, 2, 3, 40)] == [5, 10, 12, 12]


def test_a_failure_no_retry_mends_gives_up_at_once() -> None:
    policy = RetryPolicy()
    assert policy.gives_up(1, FalError("gone", code="fal_file_unavailable", retryable=False))
    assert not policy.gives_up(1, FalError("503", code="fal_file_unavailable"))
    assert not policy.gives_up(1, StorageError("S3 down"))
    assert error_code(FalError("x", code="fal_file_too_large")) == "fal_file_too_large"
    assert error_code(KeyError("x")) == "processing_error"


@pytest.mark.parametrize("raw", ["a\x00b", "lone \ud800 surrogate", "\udcff\x00", "plain", "x" * 5000])
def test_safe_text_is_text_postgresql_accepts(raw: str) -> None:
    cleaned = safe_text(raw)
    assert "\x00" not in cleaned and len(cleaned) <= 2000
    assert cleaned.encode("utf-8").decode("utf-8") == cleaned  # strict UTF-8: a surrogate would raise
    assert safe_text("kept as is") == "kept as is" and safe_text("a\x00b") == "a\ufffdb"
