"""EventBridge schedule expressions: `rate(N unit)` and AWS's 6-field `cron(min hour dom month dow year)`.

Both are reduced to *slots*: integers that name one firing period, identical on every runner instance, so
a Redis SET NX on (function, schedule, slot) makes a schedule fire once per period across all of them.
Times are UTC, as EventBridge's. Supported cron syntax: `*`, `?`, numbers, names (JAN-DEC, SUN-SAT),
ranges `a-b`, lists `a,b`, steps `*/n` and `a/n`, and `L` alone in day-of-month. Day-of-week counts
1 = SUN .. 7 = SAT. `W`, `#` and `L` in day-of-week are refused with a ScheduleError.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from local_runner.async_events.errors import ScheduleError

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                       "NOV", "DEC"], start=1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
# name, low, high, names
_FIELDS = [("minutes", 0, 59, {}), ("hours", 0, 23, {}), ("day-of-month", 1, 31, {}),
           ("month", 1, 12, _MONTHS), ("day-of-week", 1, 7, _DAYS), ("year", 1970, 2199, {})]


@dataclass(frozen=True)
class Rate:
    expression: str
    period: int  # seconds

    def slot(self, now: float) -> int:
        """Periods are aligned on the Unix epoch: every instance agrees on when one starts."""
        return int(now // self.period)

    def slot_seconds(self) -> int:
        return self.period


@dataclass(frozen=True)
class Cron:
    expression: str
    fields: tuple[frozenset[int] | None, ...]  # None: `?` (day fields only)
    last_day: bool  # `L` in day-of-month

    def slot(self, now: float) -> int | None:
        """The Unix minute when `now` falls in a matching minute, else None."""
        t = datetime.fromtimestamp(now, UTC)
        minutes, hours, dom, month, dow, year = self.fields
        checks = [(minutes, t.minute), (hours, t.hour), (month, t.month), (year, t.year)]
        if not all(f is None or v in f for f, v in checks):
            return None
        if not self._day_matches(t, dom, dow):
            return None
        return int(now // 60)

    def _day_matches(self, t: datetime, dom: frozenset[int] | None, dow: frozenset[int] | None) -> bool:
        weekday = (t.weekday() + 1) % 7 + 1  # Monday=0 in Python; SUN=1 in AWS
        is_last = t.day == calendar.monthrange(t.year, t.month)[1]
        dom_ok = (self.last_day and is_last) or (dom is not None and t.day in dom)
        dow_ok = dow is not None and weekday in dow
        if dom is None and not self.last_day:
            return dow_ok
        if dow is None:
            return dom_ok
        return dom_ok and dow_ok

    def slot_seconds(self) -> int:
        return 60


Expression = Rate | Cron


def parse(expression: str) -> Expression:
    m = _RATE.match(expression)
    if m:
        value, unit = int(m.group(1)), m.group(2).rstrip("s")
        if value < 1:
            raise ScheduleError(expression, "the rate must be at least 1")
        return Rate(expression, value * _UNIT[unit])
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise ScheduleError(expression, "expected rate(N unit) or cron(min hour dom month dow year)")
    parts = expression[5:-1].split()
    if len(parts) != 6:
        raise ScheduleError(expression, f"cron needs 6 fields, got {len(parts)}")
    if (parts[2] == "?") == (parts[4] == "?"):
        raise ScheduleError(expression, "exactly one of day-of-month and day-of-week must be '?'")
    last_day = parts[2] == "L"
    fields: list[frozenset[int] | None] = []
    for raw, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        if raw == "?" or (last_day and name == "day-of-month"):
            fields.append(None)
        else:
            fields.append(_field(expression, name, raw, low, high, names))
    return Cron(expression, tuple(fields), last_day)


def _field(expression: str, name: str, raw: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in raw.split(","):
        bare = re.sub("|".join(names) or "^$", "", part.upper())
        if any(c in bare for c in "LW#"):
            raise ScheduleError(expression, f"{name}: {part!r} is not supported by the local runner")
        step = 1
        if "/" in part:
            part, step_raw = part.split("/", 1)
            step = _number(expression, name, step_raw, {})
            if step < 1:
                raise ScheduleError(expression, f"{name}: step must be at least 1")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(expression, name, a, names), _number(expression, name, b, names)
        else:
            start = _number(expression, name, part, names)
            end = high if step > 1 else start
        if not low <= start <= end <= high:
            raise ScheduleError(expression, f"{name}: {raw!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(expression: str, name: str, raw: str, names: dict[str, int]) -> int:
    if raw.upper() in names:
        return names[raw.upper()]
    if not raw.isdigit():
        raise ScheduleError(expression, f"{name}: {raw!r} is not a number")
    return int(raw)
