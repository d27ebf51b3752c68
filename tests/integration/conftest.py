"""Fixtures of the integration tests that use the core layer (core, ops): one pool on the test database and
a user factory, defined once here so that every folder below shares them (a session fixture imported into a
second conftest would be a second pool)."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable, Iterator

import pytest
from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger, users

# one id sequence per process, so no two tests register the same user
_ids = itertools.count(random.randint(10**9, 2 * 10**9) * 1000 + os.getpid() % 1000)


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, min_size=1, max_size=24, timeout=10)
    yield database
    database.close()


@pytest.fixture
def make_user(db: Database) -> Callable[..., int]:
    """Register a fresh user (committed), optionally with coins; returns the user id."""

    def make(coins: int = 0) -> int:
        user_id = next(_ids)
        with db.transaction() as connection:
            users.register(connection, user_id, first_name="Test")
            if coins:
                ledger.credit(connection, user_id, coins, LedgerKind.TOPUP, reason="test top-up")
        return user_id

    return make
