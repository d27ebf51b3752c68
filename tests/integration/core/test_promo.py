from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aisha.db import Database
from aisha.errors import PromoRejected
from aisha.models import PromoKind
from aisha.services import ledger, promo


def _code() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def _redeem_code(db: Database, user_id: int, code: str, **kw: object) -> promo.Redeemed:
    with db.transaction() as conn:
        return promo.redeem(conn, user_id, code, **kw)  # type: ignore[arg-type]


def _rejection(db: Database, user_id: int, code: str, **kw: object) -> str:
    with pytest.raises(PromoRejected) as caught:
        _redeem_code(db, user_id, code, **kw)
    return caught.value.code


def test_coins_are_credited_once_per_user(db: Database, make_user: Callable[..., int]) -> None:
    code = _code()
    with db.transaction() as conn:
        promo.create(conn, code, PromoKind.COINS, 100, max_uses=10)
    user_id = make_user()
    result = _redeem_code(db, user_id, code.lower())  # codes are case-insensitive
    assert result.credit is not None and result.credit.amount == 100
    assert _rejection(db, user_id, code) == "promo_already_used"
    with db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 100


def test_a_code_cannot_pass_its_total_limit(db: Database, make_user: Callable[..., int]) -> None:
    code = _code()
    with db.transaction() as conn:
        promo.create(conn, code, PromoKind.COINS, 10, max_uses=2)
    first, second, third = make_user(), make_user(), make_user()
    _redeem_code(db, first, code)
    _redeem_code(db, second, code)
    assert _rejection(db, third, code) == "promo_exhausted"
    with db.transaction() as conn:
        assert ledger.balance(conn, third) == 0
        assert conn.execute("SELECT uses FROM promo_codes WHERE code = %s", (code,)).fetchone() == {"uses": 2}


def test_concurrent_redemptions_respect_the_limit(db: Database, make_user: Callable[..., int]) -> None:
    code = _code()
    with db.transaction() as conn:
        promo.create(conn, code, PromoKind.COINS, 10, max_uses=3)
    people = [make_user() for _ in range(8)]
    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def go(user_id: int) -> None:
        start.wait()
        try:
            _redeem_code(db, user_id, code)
            outcomes.append("ok")
        except PromoRejected as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=go, args=(user_id,)) for user_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ok"] * 3 + ["promo_exhausted"] * 5


def test_validity_window_and_unknown_codes(db: Database, make_user: Callable[..., int]) -> None:
    now = datetime.now(UTC)
    later, expired, off = _code(), _code(), _code()
    with db.transaction() as conn:
        promo.create(conn, later, PromoKind.COINS, 10, valid_from=now + timedelta(days=1))
        promo.create(conn, expired, PromoKind.COINS, 10, valid_until=now - timedelta(seconds=1))
        promo.create(conn, off, PromoKind.COINS, 10)
        conn.execute("UPDATE promo_codes SET active = false WHERE code = %s", (off,))
    user_id = make_user()
    assert _rejection(db, user_id, later) == "promo_not_started"
    assert _redeem_code(db, user_id, later, now=now + timedelta(days=2)).credit is not None
    assert _rejection(db, user_id, expired) == "promo_expired"
    assert _rejection(db, user_id, off) == "promo_inactive"
    assert _rejection(db, user_id, "NOSUCHCODE") == "promo_not_found"


def test_a_discount_applies_to_the_next_purchase_only(db: Database, make_user: Callable[..., int]) -> None:
    code = _code()
    with db.transaction() as conn:
        promo.create(conn, code, PromoKind.DISCOUNT_PERCENT, 20)
    user_id = make_user()
    result = _redeem_code(db, user_id, code)
    assert result.credit is None
    with db.transaction() as conn:
        assert promo.discounted_price(conn, user_id, 150, consume=False) == 120
        assert promo.discounted_price(conn, user_id, 150, consume=True) == 120
        assert promo.discounted_price(conn, user_id, 150, consume=True) == 150


def test_a_bonus_adds_to_the_next_top_up(db: Database, make_user: Callable[..., int]) -> None:
    code = _code()
    with db.transaction() as conn:
        promo.create(conn, code, PromoKind.BONUS_PERCENT, 10)
    user_id = make_user()
    _redeem_code(db, user_id, code)
    with db.transaction() as conn:
        assert promo.topup_bonus(conn, user_id, 500, consume=True) == 50
        assert promo.topup_bonus(conn, user_id, 500, consume=True) == 0
