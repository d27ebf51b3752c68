"""The row access avatars and generations share: one row by id or by FAL request id, one UPDATE.

Table and column names come from the services' own constants, never from a caller's input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aisha.db import Connection

Row = dict[str, Any]


def one(conn: Connection, table: str, columns: str, key: str, value: Any, *, lock: bool = False) -> Row | None:
    query = f"SELECT {columns} FROM {table} WHERE {key} = %s" + (" FOR UPDATE" if lock else "")
    return conn.execute(query, (value,)).fetchone()


def update(conn: Connection, table: str, columns: str, row_id: int, values: Mapping[str, Any], *,
           touch: bool = False) -> Row:
    """SET `values` (and updated_at when `touch`) on row `row_id`; returns the row as it is now."""
    assignments = [f"{name} = %s" for name in values] + (["updated_at = now()"] if touch else [])
    row = conn.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE id = %s RETURNING {columns}",
                       (*values.values(), row_id)).fetchone()
    assert row is not None, f"{table} {row_id} vanished under its own lock"
    return row


def settable(what: str, fields: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)} on {what}")
