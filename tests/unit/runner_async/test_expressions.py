"""Schedule expressions reduced to slots (pure, no Redis)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import pytest

from local_runner.async_events.errors import ScheduleError
from local_runner.async_events.expressions import Cron, Rate, parse


def ts(*args: int) -> float:
    return calendar.timegm(datetime(*args, tzinfo=UTC).timetuple())


def test_rate_periods_are_epoch_aligned() -> None:
    rate = parse("rate(5 minutes)")
    assert isinstance(rate, Rate) and rate.period == 300
    assert rate.slot(ts(2026, 11, 24, 12, 0)) == rate.slot(ts(2026, 11, 24, 12, 4, 59))
    assert rate.slot(ts(2026, 11, 24, 12, 5)) == rate.slot(ts(2026, 11, 24, 12, 0)) + 1
    assert parse("rate(1 day)").period == 86400 and parse("rate(2 hours)").period == 7200


def test_cron_every_day_at_three() -> None:
    cron = parse("cron(0 3 * * ? *)")
    assert isinstance(cron, Cron)
    assert cron.slot(ts(2026, 11, 24, 3, 0, 30)) == int(ts(2026, 11, 24, 3, 0) // 60)
    assert cron.slot(ts(2026, 11, 24, 3, 1)) is None
    assert cron.slot(ts(2026, 11, 24, 4, 0)) is None


def test_cron_weekdays_names_ranges_steps() -> None:
    cron = parse("cron(0/15 9-17 ? * MON-FRI *)")
    tuesday = ts(2026, 11, 24, 9, 45)  # 2026-11-24 is a Tuesday
    assert cron.slot(tuesday) is not None
    assert cron.slot(ts(2026, 11, 24, 9, 46)) is None
    assert cron.slot(ts(2026, 11, 29, 9, 45)) is None  # Sunday
    sunday = parse("cron(0 0 ? * 1 *)")  # AWS counts SUN = 1
    assert sunday.slot(ts(2026, 11, 29, 0, 0)) is not None and sunday.slot(ts(2026, 11, 30, 0, 0)) is None


def test_cron_day_of_month_month_year_and_last_day() -> None:
    cron = parse("cron(30 6 1,15 JAN,JUL ? 2027)")
    assert cron.slot(ts(2027, 7, 15, 6, 30)) is not None
    assert cron.slot(ts(2027, 8, 15, 6, 30)) is None
    assert cron.slot(ts(2026, 7, 15, 6, 30)) is None
    last = parse("cron(0 0 L * ? *)")
    assert last.slot(ts(2027, 2, 28)) is not None and last.slot(ts(2027, 2, 27)) is None
    assert last.slot(ts(2028, 2, 29)) is not None


@pytest.mark.parametrize("expression", [
    "cron(0 3 * * * *)",  # neither day field is '?'
    "cron(0 3 ? * ? *)",  # both are
    "cron(0 3 * *)",
    "cron(60 3 * * ? *)",
    "cron(0 3 ? * 2#1 *)",
    "cron(0 3 15W * ? *)",
    "cron(x 3 * * ? *)",
    "every(5 minutes)",
    "rate(0 minutes)",
])
def test_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse(expression)
