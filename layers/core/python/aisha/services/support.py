"""What support does by hand: disable promo codes, look at a user, adjust a balance, refund Stars.

Every manual change is a ledger entry of kind `adjustment` whose reason names the operator, so the
ledger stays the whole story (it is append-only: nothing here edits or removes an entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aisha.db import Connection
from aisha.errors import ClientError, Conflict, InsufficientFunds, NotFound
from aisha.models import LedgerEntry, PromoCode
from aisha.services import ledger, users

_PROMO_COLUMNS = "code, kind, value, valid_from, valid_until, max_uses, per_user_limit, uses, active"
_LEDGER_COLUMNS = "id, user_id, amount, kind, reason, refund_of, idempotency_key, created_at"


class AlreadyDone(Conflict):
    code = "already_done"


def list_promos(conn: Connection, *, include_inactive: bool = False) -> list[PromoCode]:
    rows = conn.execute(f"SELECT {_PROMO_COLUMNS} FROM promo_codes"
                        + ("" if include_inactive else " WHERE active") + " ORDER BY created_at, code").fetchall()
    return [PromoCode.from_row(row) for row in rows]


def disable_promo(conn: Connection, code: str) -> PromoCode:
    row = conn.execute(f"UPDATE promo_codes SET active = false WHERE code = %s RETURNING {_PROMO_COLUMNS}",
                       (code.strip().upper(),)).fetchone()
    if row is None:
        raise NotFound(f"no promo code {code.strip().upper()}", code="promo_not_found")
    return PromoCode.from_row(row)


def _lock(conn: Connection, user_id: int) -> None:
    if conn.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user_id,)).fetchone() is None:
        raise NotFound(f"user {user_id} is not registered", code="user_not_found")


def _by_key(conn: Connection, key: str) -> LedgerEntry | None:
    row = conn.execute(f"SELECT {_LEDGER_COLUMNS} FROM ledger_entries WHERE idempotency_key = %s", (key,)).fetchone()
    return LedgerEntry.from_row(row) if row else None


def _insert(conn: Connection, user_id: int, amount: int, reason: str, key: str | None) -> LedgerEntry:
    row = conn.execute(
        f"INSERT INTO ledger_entries (user_id, amount, kind, reason, idempotency_key) "
        f"VALUES (%s, %s, 'adjustment', %s, %s) RETURNING {_LEDGER_COLUMNS}",
        (user_id, amount, reason[:500], key)).fetchone()
    return LedgerEntry.from_row(row)


def adjust(conn: Connection, user_id: int, amount: int, *, reason: str, operator: str,
           idempotency_key: str | None = None, allow_negative: bool = False) -> tuple[LedgerEntry, bool]:
    """Credit (amount > 0) or debit (amount < 0) by hand; returns (entry, created). A debit never takes
    the balance below zero unless `allow_negative`. With a key, a repeat returns the first entry."""
    if amount == 0:
        raise ClientError("the amount must not be zero", code="invalid_amount")
    if not reason.strip() or not operator.strip():
        raise ClientError("a manual change needs a reason and an operator", code="reason_required")
    _lock(conn, user_id)
    key = f"manual:{idempotency_key}" if idempotency_key else None
    if key is not None and (existing := _by_key(conn, key)) is not None:
        return existing, False
    available = ledger.balance(conn, user_id)
    if amount < 0 and available + amount < 0 and not allow_negative:
        raise InsufficientFunds(f"balance {available} is less than the debit {-amount}",
                                details={"balance": available, "required": -amount})
    return _insert(conn, user_id, amount, f"manual by {operator.strip()}: {reason.strip()}", key), True


@dataclass(frozen=True)
class StarsPayment:
    charge_id: str
    user_id: int
    coins: int  # the top-up and its bonus, if any
    refunded: LedgerEntry | None


def stars_payment(conn: Connection, user_id: int, charge_id: str) -> StarsPayment:
    """The coins a Stars payment credited (`stars:<charge id>` and its `:bonus`), and its reversal if done."""
    key = f"stars:{charge_id}"
    rows = conn.execute(f"SELECT {_LEDGER_COLUMNS} FROM ledger_entries WHERE idempotency_key = ANY(%s)",
                        ([key, f"{key}:bonus"],)).fetchall()
    entries = [LedgerEntry.from_row(r) for r in rows]
    if not any(e.idempotency_key == key for e in entries):
        raise NotFound(f"no Stars payment {charge_id} in the ledger", code="payment_not_found")
    if any(e.user_id != user_id for e in entries):
        raise ClientError(f"payment {charge_id} belongs to another user", code="payment_of_another_user")
    return StarsPayment(charge_id, user_id, sum(e.amount for e in entries), _by_key(conn, f"stars-refund:{charge_id}"))


def reverse_stars(conn: Connection, payment: StarsPayment, *, operator: str, reason: str,
                  refund_at_telegram: Callable[[], None], allow_negative: bool = False) -> LedgerEntry:
    """Refund the Stars and take back their coins, once.

    Under the user's row lock: refused if already reversed (its own idempotency key) or if the coins
    are spent; then `refund_at_telegram` (refundStarPayment; it raises to leave everything as it
    was), then the reversal entry, committed by the caller. A run that died after Telegram refunded is
    finished by running it again: Telegram then answers CHARGE_ALREADY_REFUNDED, which the callback
    treats as done.
    """
    _lock(conn, payment.user_id)
    if (done := _by_key(conn, f"stars-refund:{payment.charge_id}")) is not None:
        raise AlreadyDone(f"payment {payment.charge_id} was already reversed", details={"entry_id": done.id})
    available = ledger.balance(conn, payment.user_id)
    if available < payment.coins and not allow_negative:
        raise InsufficientFunds(f"balance {available} is less than the {payment.coins} coins of the payment",
                                details={"balance": available, "required": payment.coins})
    refund_at_telegram()
    return _insert(conn, payment.user_id, -payment.coins,
                   f"stars refund {payment.charge_id} by {operator.strip()}: {reason.strip()}",
                   f"stars-refund:{payment.charge_id}")


def user_record(conn: Connection, user_id: int, *, entries: int = 20) -> dict[str, Any]:
    """A user as support sees them: profile, balance, recent ledger, avatars, recent generations."""
    user = users.get_user(conn, user_id)
    avatars = conn.execute("SELECT id, name, status, is_main, training_type, preset, fal_request_id, created_at, "
                           "finished_at, error FROM avatars WHERE user_id = %s ORDER BY id", (user_id,)).fetchall()
    generations = conn.execute(
        "SELECT g.id, g.status, g.avatar_id, g.num_images, g.cost, g.fal_request_id, g.created_at, g.error, "
        "(SELECT count(*) FROM generation_images i WHERE i.generation_id = g.id) AS images "
        "FROM generations g WHERE g.user_id = %s ORDER BY g.id DESC LIMIT 10", (user_id,)).fetchall()
    return {
        "user": user.to_json_dict(),
        "balance": ledger.balance(conn, user_id),
        "ledger": [e.to_json_dict() for e in ledger.history(conn, user_id, limit=entries)],
        "avatars": [dict(r) for r in avatars],
        "generations": [dict(r) for r in generations],
    }
