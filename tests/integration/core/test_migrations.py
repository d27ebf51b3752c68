from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg

from infra.migrate import MIGRATIONS, apply_migrations, pending

ROOT = Path(__file__).resolve().parents[3]
ALL = sorted(p.stem for p in MIGRATIONS.glob("*.sql") if not p.name.endswith(".rollback.sql"))
DOMAIN_TABLES = {
    "users", "ledger_entries", "promo_codes", "promo_redemptions", "avatars", "avatar_photos",
    "generations", "generation_images", "webhook_events",
}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def test_apply_from_empty_then_reapply_is_a_noop(fresh_database_factory: Callable[[], str]) -> None:
    assert ALL[0] == "0001_domain" and len(ALL) >= 2
    url = fresh_database_factory()
    assert pending(url) == ALL
    assert apply_migrations(url) == ALL
    assert DOMAIN_TABLES <= _tables(url)
    assert pending(url) == []
    assert apply_migrations(url) == []
    with psycopg.connect(url) as conn:
        applied = conn.execute("SELECT migration_id FROM _yoyo_migration").fetchall()
    assert sorted(row[0] for row in applied) == ALL


def test_concurrent_runs_in_threads_apply_once(fresh_database_factory: Callable[[], str]) -> None:
    url = fresh_database_factory()
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(apply_migrations(url))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [[], [], [], ALL]
    assert DOMAIN_TABLES <= _tables(url)


def test_concurrent_cli_processes_do_not_collide(fresh_database_factory: Callable[[], str]) -> None:
    url = fresh_database_factory()
    procs = [
        subprocess.Popen([sys.executable, "-m", "infra.migrate", "--database-url", url], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    said = sorted(out.strip() for out, _ in outputs)
    assert said == ["applied: " + ", ".join(ALL), "database is up to date", "database is up to date"]
