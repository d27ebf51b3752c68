"""Fixtures for the core layer against the real servers: a pool on the test database, S3, users, and
FAL's file host (tests/integration/core/fal_kit.py)."""

from __future__ import annotations

import itertools
import os
import random
import uuid
from collections.abc import Callable, Iterator

import pytest
from aisha.db import Connection, Database
from aisha.models import LedgerKind
from aisha.services import fal_results, ledger, users
from aisha.storage import Storage

from tests.integration.core.fal_kit import FileHost

_ids = itertools.count(random.randint(10**9, 2 * 10**9) * 1000 + os.getpid() % 1000)


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, min_size=1, max_size=24, timeout=10)
    yield database
    database.close()


@pytest.fixture
def conn(db: Database) -> Iterator[Connection]:
    """One transaction, committed at the end of the test (state is visible to other connections)."""
    with db.transaction() as connection:
        yield connection


@pytest.fixture(scope="session")
def storage(services: dict[str, str]) -> Storage:
    return Storage(endpoint_url=services["S3_ENDPOINT_URL"], region="us-east-1", presign_ttl=300)


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


@pytest.fixture(scope="module")
def files() -> Iterator[FileHost]:
    host = FileHost()
    yield host
    host.server.shutdown()


@pytest.fixture
def buckets() -> fal_results.Buckets:
    tag = uuid.uuid4().hex[:8]
    return fal_results.Buckets(loras=f"loras-{tag}", images=f"images-{tag}")
