from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest
from aisha.db import Database
from aisha.errors import AlreadyRefunded, InsufficientFunds
from aisha.models import LedgerKind
from aisha.services import ledger


def _amounts(db: Database, user_id: int) -> list[int]:
    with db.transaction() as conn:
        rows = conn.execute("SELECT amount FROM ledger_entries WHERE user_id = %s ORDER BY id", (user_id,))
        return [row["amount"] for row in rows.fetchall()]


def test_twenty_concurrent_charges_against_ten_prices(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user(coins=50)
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy() -> None:
        start.wait()
        try:
            with db.transaction() as conn:
                ledger.charge(conn, user_id, 5, reason="image")
            result = "ok"
        except InsufficientFunds:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcomes.count("ok") == 10
    assert outcomes.count("refused") == 10
    amounts = _amounts(db, user_id)
    assert amounts == [50] + [-5] * 10  # one top-up, ten charges, nothing else
    running = 0
    for amount in amounts:  # never below zero at any point of the ledger
        running += amount
        assert running >= 0
    with db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 0


def test_a_short_balance_is_refused_and_writes_nothing(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user(coins=100)
    with pytest.raises(InsufficientFunds) as caught, db.transaction() as conn:
        ledger.charge(conn, user_id, 150, reason="training")
    assert caught.value.status == 402
    assert caught.value.details == {"balance": 100, "required": 150}
    assert _amounts(db, user_id) == [100]


def test_refund_is_accepted_once(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user(coins=200)
    with db.transaction() as conn:
        charge = ledger.charge(conn, user_id, 150, reason="training")
    with db.transaction() as conn:
        refund = ledger.refund(conn, charge.id, reason="training failed")
    assert refund.amount == 150 and refund.refund_of == charge.id and refund.kind is LedgerKind.REFUND
    with pytest.raises(AlreadyRefunded), db.transaction() as conn:
        ledger.refund(conn, charge.id, reason="again")
    with db.transaction() as conn:
        assert ledger.refund_once(conn, charge.id, reason="retry") is None
        assert ledger.balance(conn, user_id) == 200


def test_concurrent_refunds_of_one_charge_pay_once(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user(coins=150)
    with db.transaction() as conn:
        charge = ledger.charge(conn, user_id, 150, reason="training")
    start = threading.Barrier(6)
    refunded: list[bool] = []

    def refund() -> None:
        start.wait()
        with db.transaction() as conn:
            refunded.append(ledger.refund_once(conn, charge.id, reason="failed") is not None)

    threads = [threading.Thread(target=refund) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(refunded) == [False] * 5 + [True]
    assert _amounts(db, user_id) == [150, -150, 150]


def test_credit_with_an_idempotency_key_happens_once(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user()
    with db.transaction() as conn:
        first = ledger.credit(conn, user_id, 250, LedgerKind.TOPUP, idempotency_key="stars:charge-1")
        second = ledger.credit(conn, user_id, 250, LedgerKind.TOPUP, idempotency_key="stars:charge-1")
        assert first.id == second.id
        assert ledger.balance(conn, user_id) == 250
        assert [entry.amount for entry in ledger.history(conn, user_id)] == [250]


def test_the_ledger_is_append_only(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user(coins=10)
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"), db.transaction() as conn:
        conn.execute("UPDATE ledger_entries SET amount = 1000 WHERE user_id = %s", (user_id,))
    with pytest.raises(psycopg.errors.RaiseException), db.transaction() as conn:
        conn.execute("DELETE FROM ledger_entries WHERE user_id = %s", (user_id,))
    assert _amounts(db, user_id) == [10]
