"""Apply the versioned SQL migrations in infra/migrations with yoyo.

yoyo records applied migrations in its own table. Its lock is a row insert that two processes
starting on an empty database can both trip over while creating that table, so the whole run is
serialized by a PostgreSQL advisory lock: a second concurrent run waits, then finds nothing to do.
Run: `python -m infra.migrate [--database-url URL]` (default: $DATABASE_URL).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x41_49_53_48_41  # "AISHA": one advisory lock id for every migration run


def _yoyo_url(database_url: str) -> str:
    scheme, rest = database_url.split("://", 1)
    if scheme in {"postgresql", "postgres"}:
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def pending(database_url: str) -> list[str]:
    backend = get_backend(_yoyo_url(database_url))
    try:
        return [m.id for m in backend.to_apply(read_migrations(str(MIGRATIONS)))]
    finally:
        backend.connection.close()


def apply_migrations(database_url: str) -> list[str]:
    """Apply what is missing; return the ids applied by this call (empty when up to date)."""
    with psycopg.connect(database_url, autocommit=True) as lock_conn:
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            backend = get_backend(_yoyo_url(database_url))
            try:
                todo = backend.to_apply(read_migrations(str(MIGRATIONS)))
                with backend.lock():
                    backend.apply_migrations(todo)
                return [m.id for m in todo]
            finally:
                backend.connection.close()
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.migrate", description=__doc__)
    from infra.cli_env import cli_environ

    # DATABASE_URL from the environment, else from .local/services.env (`make services`)
    parser.add_argument("--database-url", default=cli_environ().get("DATABASE_URL"))
    parser.add_argument("--list", action="store_true", help="only list pending migrations")
    args = parser.parse_args(argv)
    if not args.database_url:
        print("DATABASE_URL is not set (run `make services` or pass --database-url)", file=sys.stderr)
        return 2
    if args.list:
        for name in pending(args.database_url):
            print(name)
        return 0
    applied = apply_migrations(args.database_url)
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
