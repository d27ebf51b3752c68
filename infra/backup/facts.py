"""What a backup must give back: row counts, the ledger's sums, and each object's checksum.

Computed in the snapshot the dump is taken from, so they describe exactly what the dump holds.
"""

from __future__ import annotations

from typing import Any

import psycopg


def tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()
    return [str(r[0]) for r in rows]


def database_facts(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    counts = {name: int(conn.execute(f'SELECT count(*) FROM public."{name}"').fetchone()[0])  # type: ignore[index]
              for name in tables(conn)}
    ledger: dict[str, Any] = {"total": 0, "by_kind": {}, "balances_md5": None}
    if "ledger_entries" in counts:
        total, digest = conn.execute(
            "SELECT COALESCE(sum(total), 0), md5(COALESCE(string_agg(b, ',' ORDER BY b), '')) FROM "
            "(SELECT sum(amount) AS total, user_id || ':' || sum(amount) AS b FROM ledger_entries "
            "GROUP BY user_id) AS balances"
        ).fetchone() or (0, None)
        ledger["total"] = int(total)
        ledger["balances_md5"] = digest
        ledger["by_kind"] = {str(kind): int(amount) for kind, amount in conn.execute(
            "SELECT kind, sum(amount) FROM ledger_entries GROUP BY kind ORDER BY kind").fetchall()}
    return {"row_counts": counts, "ledger": ledger}
