"""Fixtures for the core layer against the real servers: a transaction, S3 and FAL's file host
(tests/integration/core/fal_kit.py); the pool and the user factory are tests/integration/conftest.py's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from aisha.db import Connection, Database
from aisha.services import fal_results
from aisha.storage import Storage

from tests.integration.core.fal_kit import FileHost


@pytest.fixture
def conn(db: Database) -> Iterator[Connection]:
    """One transaction, committed at the end of the test (state is visible to other connections)."""
    with db.transaction() as connection:
        yield connection


@pytest.fixture(scope="session")
def storage(services: dict[str, str]) -> Storage:
    return Storage(endpoint_url=services["S3_ENDPOINT_URL"], region="us-east-1", presign_ttl=300)


@pytest.fixture(scope="module")
def files() -> Iterator[FileHost]:
    host = FileHost()
    yield host
    host.server.shutdown()


@pytest.fixture
def buckets() -> fal_results.Buckets:
    tag = uuid.uuid4().hex[:8]
    return fal_results.Buckets(loras=f"loras-{tag}", images=f"images-{tag}")
