"""The connection pool against the real server: a live pooled connection is lent without a round trip, and
one whose backend the server ended is replaced before a transaction meets it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest
from aisha.db import Database, check_pooled


@pytest.fixture
def admin(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def one(database_url: str) -> Iterator[Database]:
    database = Database(database_url, min_size=1, max_size=1, timeout=5)
    yield database
    database.close()


def _backend(db: Database) -> int:
    with db.transaction() as conn:
        conn.execute("SELECT 1")
        return conn.info.backend_pid


def _last_activity(admin: psycopg.Connection, pid: int) -> datetime | None:
    row = admin.execute("SELECT state_change FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return row[0] if row else None


def test_a_live_connection_is_checked_without_asking_the_server(database_url: str,
                                                                 admin: psycopg.Connection) -> None:
    with psycopg.connect(database_url) as conn:
        pid = conn.info.backend_pid
        conn.execute("SELECT 1")
        conn.rollback()
        before = _last_activity(admin, pid)
        check_pooled(conn)  # nothing reached the server: its last state change is the rollback's
        assert _last_activity(admin, pid) == before
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_connection_whose_backend_was_ended_is_replaced_unseen(one: Database,
                                                                  admin: psycopg.Connection) -> None:
    first = _backend(one)
    assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone() == (True,)
    deadline = time.monotonic() + 10
    while _last_activity(admin, first) is not None:  # the backend has exited and said so on the socket
        assert time.monotonic() < deadline, "the terminated backend did not exit"
        time.sleep(0.01)
    second = _backend(one)  # the pool's only connection was the dead one: no error reaches the caller
    assert second != first
    assert _backend(one) == second  # and the new one is kept


def test_a_statement_commits_alone_and_the_connection_returns_to_transactions(one: Database) -> None:
    with one.statement() as conn:  # the pool's only connection: every block below gets this one
        conn.execute("CREATE TEMPORARY TABLE notes (n int)")
    with pytest.raises(RuntimeError), one.statement() as conn:
        conn.execute("INSERT INTO notes VALUES (1)")
        raise RuntimeError("after the statement")  # too late to undo it: the server committed it
    with pytest.raises(RuntimeError), one.transaction() as conn:
        conn.execute("INSERT INTO notes VALUES (2)")
        raise RuntimeError("inside the transaction")  # rolled back: autocommit did not outlive statement()
    with one.transaction() as conn:
        assert conn.execute("SELECT array_agg(n) AS ns FROM notes").fetchone() == {"ns": [1]}
