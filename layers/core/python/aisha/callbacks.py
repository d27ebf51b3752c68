"""Button callback data: one type that builds and parses it, checked against Telegram's 64 bytes.

Format version 1 is `<flow>[:<action>[:<argument>]]` with no prefix, so the buttons already on users'
screens keep working; the flow names the handler function (aisha/bot/routing.py). A later,
incompatible format is to start with `~<version>:`; data of a version this code does not know
parses to None (a stale button), never to a wrong action.

Every number a button carries (an id, a page) is bounded by MAX_NUMBER: data whose argument reads as
an integer beyond it is forged and parses to None, so no flow ever hands PostgreSQL a number its
bigint cannot hold (`balance:history:<400 digits>`), whichever way the flow converts the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = 1
MAX_BYTES = 64  # Telegram's limit for callback_data (1-64 bytes)
_SEPARATOR = ":"
MAX_NUMBER = 2**53 - 1  # ids and pages; times a page size it still fits a bigint


@dataclass(frozen=True)
class Callback:
    flow: str
    action: str = ""
    argument: str = ""

    def __post_init__(self) -> None:
        if not self.flow or _SEPARATOR in self.flow or _SEPARATOR in self.action:
            raise ValueError(f"bad callback parts: {self.flow!r}, {self.action!r}")
        if self.argument and not self.action:
            raise ValueError("a callback argument needs an action")
        if len(self.data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {self.data!r}")
        if abs(_as_int(self.argument) or 0) > MAX_NUMBER:
            raise ValueError(f"callback number out of range: {self.argument!r}")

    @property
    def data(self) -> str:
        """The callback_data to put on a button."""
        return _SEPARATOR.join(part for part in (self.flow, self.action, self.argument) if part)

    @property
    def number(self) -> int | None:
        """The argument as a non-negative integer (an id or a page, at most MAX_NUMBER), or None."""
        return int(self.argument) if self.argument.isascii() and self.argument.isdigit() else None

    @classmethod
    def parse(cls, data: str | None) -> Callback | None:
        """The callback of a pressed button; None for empty, oversized or other-version data."""
        if not data or len(data.encode("utf-8")) > MAX_BYTES or data.startswith("~"):
            return None
        flow, _, rest = data.partition(_SEPARATOR)
        action, _, argument = rest.partition(_SEPARATOR)
        if not flow or (argument and not action):
            return None
        try:
            return cls(flow, action, argument)
        except ValueError:  # a separator in the wrong place, or a number out of range
            return None


def _as_int(argument: str) -> int | None:
    """The argument as int() would read it (as flows do: `int(argument)`), or None."""
    try:
        return int(argument)
    except ValueError:
        return None


def button_data(flow: str, action: str = "", argument: str | int = "") -> str:
    """Shorthand for Callback(...).data; raises ValueError when it would not fit in 64 bytes."""
    return Callback(flow, action, str(argument)).data
