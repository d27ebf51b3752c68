"""make run's own helpers."""

from __future__ import annotations

from infra.run import _masked


def test_make_run_never_prints_a_password() -> None:
    assert _masked("postgresql://u:secret@h:5/db") == "postgresql://u:***@h:5/db"
    assert _masked("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert _masked("postgresql://aisha@127.0.0.1:5/a") == "postgresql://aisha@127.0.0.1:5/a"
