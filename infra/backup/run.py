"""Taking one backup: the database dump and its facts from one snapshot, then every bucket's objects.

Objects are copied after the dump: a row written meanwhile may name an object the dump does not know
(harmless), and an object a dumped row names was stored before its row committed (the services
write objects first), so it is in the bucket when it is copied. A delete between the dump and the
copy can lose such an object from the copy: the restore check lists every object a row names that the
restored buckets do not hold.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from infra.backup import buckets, facts, store


@dataclass(frozen=True)
class Source:
    database_url: str
    s3_endpoint_url: str | None
    s3_region: str
    buckets: dict[str, str]  # role -> bucket name
    credentials: tuple[str | None, str | None] = (None, None)


def backup(source: Source, dest: Path, *, keep: int, pg_dump: str = "pg_dump",
           now: datetime | None = None) -> Path:
    started = time.monotonic()
    name = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = dest / f"{name}{store.PARTIAL}"
    folder.mkdir(parents=True)
    # One REPEATABLE READ snapshot, exported: pg_dump dumps exactly what the facts describe.
    with psycopg.connect(source.database_url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        db_facts = facts.database_facts(conn)
        done = subprocess.run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                               f"--file={folder / store.DUMP}", f"--dbname={source.database_url}"],
                              capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {done.stderr.strip()[-2000:]}")
    dumped = time.monotonic()
    s3 = buckets.client(source.s3_endpoint_url, source.s3_region, source.credentials)
    copied: dict[str, Any] = {}
    for role, bucket in source.buckets.items():
        copied[role] = {"bucket": bucket, "objects": buckets.copy_out(s3, bucket, folder / "buckets" / role)}
    manifest = {
        "name": name, "format": 1, **db_facts, "buckets": copied,
        "dump_seconds": round(dumped - started, 3), "duration_seconds": round(time.monotonic() - started, 3),
    }
    manifest["size_bytes"] = store.size_of(folder)
    store.write_manifest(folder, manifest)
    final = dest / name
    folder.rename(final)  # only now does it count as a backup
    store.prune(dest, keep)
    return final
