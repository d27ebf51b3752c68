"""Restoring a backup into an empty database and empty buckets, then checking it against its manifest."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from infra.backup import buckets, facts, store


@dataclass(frozen=True)
class Target:
    database_url: str
    s3_endpoint_url: str | None
    s3_region: str
    buckets: dict[str, str]  # role -> bucket name (may differ from the source's)
    credentials: tuple[str | None, str | None] = (None, None)


@dataclass
class Report:
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _empty(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        if facts.tables(conn):
            raise ValueError("the target database is not empty: restore into a fresh database")


def restore(folder: Path, target: Target, *, pg_restore: str = "pg_restore") -> Report:
    started = time.monotonic()
    manifest = store.read_manifest(folder)
    _empty(target.database_url)
    done = subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "--single-transaction",
                           f"--dbname={target.database_url}", str(folder / store.DUMP)],
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"pg_restore failed: {done.stderr.strip()[-2000:]}")
    s3 = buckets.client(target.s3_endpoint_url, target.s3_region, target.credentials)
    for role, saved in manifest["buckets"].items():
        buckets.copy_in(s3, target.buckets[role], folder / "buckets" / role, saved["objects"])
    report = verify(manifest, target, s3)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def verify(manifest: dict[str, Any], target: Target, s3: Any | None = None) -> Report:
    """Row counts, the ledger's sums and every object's checksum, as the manifest recorded them."""
    report = Report()
    with psycopg.connect(target.database_url) as conn:
        now = facts.database_facts(conn)
    for table, count in manifest["row_counts"].items():
        if now["row_counts"].get(table) != count:
            report.problems.append(f"{table}: {now['row_counts'].get(table)} rows, the backup has {count}")
    if now["ledger"] != manifest["ledger"]:
        report.problems.append(f"ledger sums differ: {now['ledger']} != {manifest['ledger']}")
    s3 = s3 or buckets.client(target.s3_endpoint_url, target.s3_region, target.credentials)
    held: dict[str, set[str]] = {}
    for role, saved in manifest["buckets"].items():
        found = buckets.checksums(s3, target.buckets[role])
        held[role] = set(found)
        for key, expected in saved["objects"].items():
            if found.get(key) != expected:
                report.problems.append(f"{role}/{key}: {'missing' if key not in found else 'checksum differs'}")
    with psycopg.connect(target.database_url) as conn:
        for role, key in _named_objects(conn):
            if role in held and key not in held[role]:
                report.problems.append(f"{role}/{key}: named by a row, not in the restored bucket")
    return report


def _named_objects(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    if "avatars" not in facts.tables(conn):
        return []
    rows = conn.execute(
        "SELECT 'photos', s3_key FROM avatar_photos UNION ALL "
        "SELECT 'loras', lora_key FROM avatars WHERE lora_key IS NOT NULL UNION ALL "
        "SELECT 'loras', config_key FROM avatars WHERE config_key IS NOT NULL UNION ALL "
        "SELECT 'images', s3_key FROM generation_images").fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]
