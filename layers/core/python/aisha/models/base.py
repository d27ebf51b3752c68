"""The base of every row model: a frozen msgspec struct built from a psycopg dict row.

msgspec, not pydantic: a row needs no validation beyond its column types (PostgreSQL checked them), and
pydantic's import is about 60 ms of a bot function's cold start (pydantic, pydantic-core, annotated-types),
which the bot functions that touch no FAL payload no longer pay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import msgspec


class Entity(msgspec.Struct, frozen=True, kw_only=True):  # subclasses repeat the options for mypy
    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> Self:
        """The row's columns as this model's fields (a text column becomes its enum; a missing column with a
        default takes it; a missing or mistyped one, or no row at all, is a ValueError naming it)."""
        return msgspec.convert(row, cls)

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` (the row itself is unchanged: it is frozen)."""
        return msgspec.structs.replace(self, **changes)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON types: datetimes as RFC 3339 text, enums as their values."""
        return msgspec.to_builtins(self)
