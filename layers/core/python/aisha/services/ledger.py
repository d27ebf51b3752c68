"""The coin ledger: append-only entries whose sum is the balance.

Every change takes the user's row lock first, so concurrent charges of one user run one after
another and a charge can never see a stale balance (no read-modify-write race).
"""

from __future__ import annotations

from psycopg import errors as pg_errors

from aisha.db import Connection
from aisha.errors import AlreadyRefunded, ClientError, InsufficientFunds, NotFound
from aisha.models import LedgerEntry, LedgerKind

_COLUMNS = "id, user_id, amount, kind, reason, refund_of, idempotency_key, created_at"
_CREDIT_KINDS = {LedgerKind.TOPUP, LedgerKind.PROMO, LedgerKind.BONUS}


def _lock_user(conn: Connection, user_id: int) -> None:
    if conn.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user_id,)).fetchone() is None:
        raise NotFound(f"user {user_id} is not registered", code="user_not_found")


def _by_key(conn: Connection, key: str | None) -> LedgerEntry | None:
    if key is None:
        return None
    row = conn.execute(f"SELECT {_COLUMNS} FROM ledger_entries WHERE idempotency_key = %s", (key,)).fetchone()
    return LedgerEntry.from_row(row) if row else None


def _insert(conn: Connection, user_id: int, amount: int, kind: LedgerKind, reason: str,
            key: str | None, refund_of: int | None = None) -> LedgerEntry:
    row = conn.execute(
        f"""INSERT INTO ledger_entries (user_id, amount, kind, reason, idempotency_key, refund_of)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",
        (user_id, amount, kind.value, reason, key, refund_of),
    ).fetchone()
    return LedgerEntry.from_row(row)


def balance(conn: Connection, user_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(amount), 0) AS balance FROM ledger_entries WHERE user_id = %s", (user_id,)
    ).fetchone()
    return int(row["balance"]) if row else 0


def credit(conn: Connection, user_id: int, amount: int, kind: LedgerKind, *, reason: str = "",
           idempotency_key: str | None = None) -> LedgerEntry:
    """Add coins. With an idempotency key, a second call returns the first entry unchanged."""
    return credit_once(conn, user_id, amount, kind, reason=reason, idempotency_key=idempotency_key)[0]


def credit_once(conn: Connection, user_id: int, amount: int, kind: LedgerKind, *, reason: str = "",
                idempotency_key: str | None = None) -> tuple[LedgerEntry, bool]:
    """`credit`, also saying whether this call wrote the entry (False: the key already had one).

    The check runs under the user's row lock, so whatever the caller does next in the same
    transaction when True (e.g. consume a bonus) happens once per key.
    """
    if kind not in _CREDIT_KINDS:
        raise ClientError(f"{kind.value} is not a credit", code="invalid_ledger_kind")
    if amount <= 0:
        raise ClientError("a credit must be positive", code="invalid_amount")
    _lock_user(conn, user_id)
    if (existing := _by_key(conn, idempotency_key)) is not None:
        return existing, False
    return _insert(conn, user_id, amount, kind, reason, idempotency_key), True


def charge(conn: Connection, user_id: int, amount: int, *, reason: str,
           idempotency_key: str | None = None) -> LedgerEntry:
    """Take coins, or raise InsufficientFunds without writing anything."""
    if amount <= 0:
        raise ClientError("a charge must be positive", code="invalid_amount")
    _lock_user(conn, user_id)
    if (existing := _by_key(conn, idempotency_key)) is not None:
        return existing
    available = balance(conn, user_id)
    if available < amount:
        raise InsufficientFunds(
            f"balance {available} is less than the price {amount}",
            details={"balance": available, "required": amount},
        )
    return _insert(conn, user_id, -amount, LedgerKind.CHARGE, reason, idempotency_key)


def refund(conn: Connection, charge_id: int, *, reason: str) -> LedgerEntry:
    """Give back a charge in full; a second refund of the same charge raises AlreadyRefunded."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM ledger_entries WHERE id = %s", (charge_id,)).fetchone()
    if row is None:
        raise NotFound(f"no ledger entry {charge_id}", code="charge_not_found")
    original = LedgerEntry.from_row(row)
    if original.kind is not LedgerKind.CHARGE:
        raise ClientError(f"entry {charge_id} is a {original.kind.value}, not a charge", code="not_a_charge")
    _lock_user(conn, original.user_id)
    done = conn.execute("SELECT id FROM ledger_entries WHERE refund_of = %s", (charge_id,)).fetchone()
    if done is not None:
        raise AlreadyRefunded(f"charge {charge_id} was already refunded", details={"refund_id": done["id"]})
    try:
        with conn.transaction():  # savepoint: the unique index is the last word on races
            return _insert(conn, original.user_id, -original.amount, LedgerKind.REFUND, reason, None,
                           refund_of=charge_id)
    except pg_errors.UniqueViolation:
        raise AlreadyRefunded(f"charge {charge_id} was already refunded") from None


def refund_once(conn: Connection, charge_id: int, *, reason: str) -> LedgerEntry | None:
    """Refund if not yet refunded; None when it already was (for retried processing)."""
    try:
        return refund(conn, charge_id, reason=reason)
    except AlreadyRefunded:
        return None


def history(conn: Connection, user_id: int, *, limit: int = 20, offset: int = 0) -> list[LedgerEntry]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ledger_entries WHERE user_id = %s ORDER BY id DESC LIMIT %s OFFSET %s",
        (user_id, limit, offset),
    ).fetchall()
    return [LedgerEntry.from_row(row) for row in rows]
