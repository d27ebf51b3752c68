"""Promo codes: coins credited at once, or a bonus / discount kept for the next purchase.

Redemption locks the code's row, so the total limit holds under concurrency, and the per-user
limit is counted under the same lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aisha.db import Connection
from aisha.errors import ClientError, PromoRejected
from aisha.models import LedgerEntry, LedgerKind, PromoCode, PromoKind, PromoRedemption
from aisha.services import ledger

_CODE_COLUMNS = "code, kind, value, valid_from, valid_until, max_uses, per_user_limit, uses, active"
_REDEMPTION_COLUMNS = "id, code, user_id, ledger_entry_id, applied_at, created_at"


@dataclass(frozen=True)
class Redeemed:
    promo: PromoCode
    redemption: PromoRedemption
    credit: LedgerEntry | None  # set for coin codes


def normalize(code: str) -> str:
    return code.strip().upper()


def create(conn: Connection, code: str, kind: PromoKind, value: int, *, valid_from: datetime | None = None,
           valid_until: datetime | None = None, max_uses: int | None = None,
           per_user_limit: int = 1) -> PromoCode:
    if kind is not PromoKind.COINS and not 0 < value <= 100:
        raise ClientError("a percentage must be between 1 and 100", code="invalid_promo")
    row = conn.execute(
        f"""INSERT INTO promo_codes (code, kind, value, valid_from, valid_until, max_uses, per_user_limit)
            VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_CODE_COLUMNS}""",
        (normalize(code), kind.value, value, valid_from, valid_until, max_uses, per_user_limit),
    ).fetchone()
    return PromoCode.from_row(row)


def redeem(conn: Connection, user_id: int, code: str, *, now: datetime | None = None) -> Redeemed:
    now = now or datetime.now(UTC)
    row = conn.execute(
        f"SELECT {_CODE_COLUMNS} FROM promo_codes WHERE code = %s FOR UPDATE", (normalize(code),)
    ).fetchone()
    if row is None:
        raise PromoRejected("no such promo code", code="promo_not_found")
    promo = PromoCode.from_row(row)
    if not promo.active:
        raise PromoRejected("this promo code is no longer active", code="promo_inactive")
    if promo.valid_from is not None and now < promo.valid_from:
        raise PromoRejected("this promo code is not valid yet", code="promo_not_started")
    if promo.valid_until is not None and now >= promo.valid_until:
        raise PromoRejected("this promo code has expired", code="promo_expired")
    if promo.max_uses is not None and promo.uses >= promo.max_uses:
        raise PromoRejected("this promo code has been used up", code="promo_exhausted")
    used = conn.execute(
        "SELECT count(*) AS n FROM promo_redemptions WHERE code = %s AND user_id = %s", (promo.code, user_id)
    ).fetchone()
    used_count = int(used["n"]) if used else 0
    if used_count >= promo.per_user_limit:
        raise PromoRejected("you have already used this promo code", code="promo_already_used")

    entry: LedgerEntry | None = None
    if promo.kind is PromoKind.COINS:
        entry = ledger.credit(conn, user_id, promo.value, LedgerKind.PROMO, reason=f"promo {promo.code}",
                              idempotency_key=f"promo:{promo.code}:{user_id}:{used_count + 1}")
    conn.execute("UPDATE promo_codes SET uses = uses + 1 WHERE code = %s", (promo.code,))
    redemption = conn.execute(
        f"""INSERT INTO promo_redemptions (code, user_id, ledger_entry_id, applied_at)
            VALUES (%s, %s, %s, %s) RETURNING {_REDEMPTION_COLUMNS}""",
        (promo.code, user_id, entry.id if entry else None, now if entry else None),
    ).fetchone()
    promo = promo.replace(uses=promo.uses + 1)
    return Redeemed(promo, PromoRedemption.from_row(redemption), entry)


def _pending(conn: Connection, user_id: int, kind: PromoKind) -> tuple[int, int] | None:
    row = conn.execute(
        """SELECT r.id, c.value FROM promo_redemptions r JOIN promo_codes c ON c.code = r.code
           WHERE r.user_id = %s AND c.kind = %s AND r.applied_at IS NULL
           ORDER BY c.value DESC, r.id LIMIT 1 FOR UPDATE OF r""",
        (user_id, kind.value),
    ).fetchone()
    return (int(row["id"]), int(row["value"])) if row else None


def discounted_price(conn: Connection, user_id: int, price: int, *, consume: bool) -> int:
    """The price after the user's best unused discount; `consume` marks that discount as used."""
    pending = _pending(conn, user_id, PromoKind.DISCOUNT_PERCENT)
    if pending is None:
        return price
    redemption_id, percent = pending
    if consume:
        conn.execute("UPDATE promo_redemptions SET applied_at = now() WHERE id = %s", (redemption_id,))
    return price - price * percent // 100


def topup_bonus(conn: Connection, user_id: int, amount: int, *, consume: bool) -> int:
    """Extra coins the user's best unused bonus adds to a top-up of `amount`."""
    pending = _pending(conn, user_id, PromoKind.BONUS_PERCENT)
    if pending is None:
        return 0
    redemption_id, percent = pending
    if consume:
        conn.execute("UPDATE promo_redemptions SET applied_at = now() WHERE id = %s", (redemption_id,))
    return amount * percent // 100
