"""Fixtures for the operations tools against the real servers: a pool on the test database, users."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable, Iterator

import pytest
from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger, users

_ids = itertools.count(random.randint(3 * 10**9, 4 * 10**9) * 1000 + os.getpid() % 1000)


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, min_size=1, max_size=8, timeout=10)
    yield database
    database.close()


@pytest.fixture
def make_user(db: Database) -> Callable[..., int]:
    """Register a fresh user (committed), optionally with coins; returns the user id."""

    def make(coins: int = 0) -> int:
        user_id = next(_ids)
        with db.transaction() as conn:
            users.register(conn, user_id, first_name="Ops")
            if coins:
                ledger.credit(conn, user_id, coins, LedgerKind.TOPUP, reason="test top-up")
        return user_id

    return make
