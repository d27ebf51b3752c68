"""ledger.credit_once: a credit per idempotency key, saying whether this call wrote it, under races too."""

from __future__ import annotations

import threading
from collections.abc import Callable

from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger


def test_the_first_call_writes_the_second_finds(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user()
    with db.transaction() as conn:
        first, created = ledger.credit_once(conn, user_id, 500, LedgerKind.TOPUP, idempotency_key=f"t:{user_id}")
    with db.transaction() as conn:
        again, created_again = ledger.credit_once(conn, user_id, 500, LedgerKind.TOPUP,
                                                  idempotency_key=f"t:{user_id}")
        assert ledger.balance(conn, user_id) == 500
    assert (created, created_again) == (True, False) and again.id == first.id


def test_concurrent_deliveries_of_one_payment_write_once(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user()
    start = threading.Barrier(8)
    created: list[bool] = []
    lock = threading.Lock()

    def deliver() -> None:
        start.wait()
        with db.transaction() as conn:
            _, wrote = ledger.credit_once(conn, user_id, 250, LedgerKind.TOPUP, idempotency_key=f"race:{user_id}")
        with lock:
            created.append(wrote)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(created) == [False] * 7 + [True]
    with db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 250
