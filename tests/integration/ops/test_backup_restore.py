"""Backup of a populated system, restored into a fresh PostgreSQL cluster and empty buckets, compared."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger, users

from infra.backup import store
from infra.backup.cli import main
from infra.backup.restore import Target, verify
from infra.backup.run import Source, backup
from infra.devservices.postgres import Postgres
from infra.migrate import apply_migrations


@pytest.fixture
def s3(services: dict[str, str]) -> Any:
    return boto3.client("s3", endpoint_url=services["S3_ENDPOINT_URL"], region_name="us-east-1")


@pytest.fixture
def buckets(s3: Any) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    names = {role: f"bk-{role}-{tag}" for role in ("photos", "loras", "images")}
    for name in names.values():
        s3.create_bucket(Bucket=name)
    return names


@pytest.fixture
def source_url(fresh_database_factory: Callable[[], str]) -> str:
    """The system to back up: a database of its own (the session's is shared with other tests, whose rows
    name objects in their own buckets), migrated from empty."""
    url = fresh_database_factory()
    apply_migrations(url)
    return url


@pytest.fixture
def source_db(source_url: str) -> Iterator[Database]:
    database = Database(source_url, min_size=1, max_size=2, timeout=10)
    yield database
    database.close()


@pytest.fixture
def env(services: dict[str, str], source_url: str, buckets: dict[str, str]) -> dict[str, str]:
    return {**services, "DATABASE_URL": source_url, "S3_BUCKET_PHOTOS": buckets["photos"],
            "S3_BUCKET_LORAS": buckets["loras"], "S3_BUCKET_IMAGES": buckets["images"]}


@pytest.fixture(scope="module")
def fresh_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Postgres, int]]:
    """A PostgreSQL cluster of its own (initdb + pg_ctl), as on a host rebuilt after a loss."""
    cluster = Postgres(tmp_path_factory.mktemp("restore") / "pg")
    port = cluster.start()
    yield cluster, port
    cluster.stop()
    shutil.rmtree(cluster.home, ignore_errors=True)


def _populate(db: Database, s3: Any, buckets: dict[str, str]) -> dict[str, str]:
    """Users with ledgers, a trained avatar with photos and its LoRA, a generation with images: rows and objects."""
    uploaded: dict[str, str] = {}

    def put(role: str, key: str, size: int) -> None:
        data = os.urandom(size)
        s3.put_object(Bucket=buckets[role], Key=key, Body=data)
        uploaded[f"{role}/{key}"] = hashlib.sha256(data).hexdigest()

    for user in (101, 102, 103):
        with db.transaction() as conn:
            users.register(conn, user, first_name="Backed")
            ledger.credit(conn, user, 500, LedgerKind.TOPUP, reason="top-up")
            charge = ledger.charge(conn, user, 150, reason="training")
            ledger.refund(conn, charge.id, reason="failed")
            ledger.credit(conn, user, 7, LedgerKind.BONUS, reason="bonus")
            lora = f"{user}/avatars/1/lora.safetensors"
            avatar = conn.execute(
                "INSERT INTO avatars (user_id, name, gender, training_type, trigger_phrase, status, lora_key) "
                "VALUES (%s, 'a', 'female', 'portrait', %s, 'completed', %s) RETURNING id",
                (user, f"tp{uuid.uuid4().hex}", lora)).fetchone()["id"]
            for i in range(3):
                key = f"{user}/avatars/{avatar}/photos/{i}.jpg"
                conn.execute("INSERT INTO avatar_photos (avatar_id, s3_key, content_type, size_bytes, width, height, "
                             "sha256, position) VALUES (%s, %s, 'image/jpeg', 10, 512, 512, %s, %s)",
                             (avatar, key, uuid.uuid4().hex * 2, i))
                put("photos", key, 20_000)
            put("loras", lora, 300_000)
            gen = conn.execute("INSERT INTO generations (user_id, avatar_id, prompt, num_images, status, cost) "
                               "VALUES (%s, %s, 'p', 2, 'completed', 10) RETURNING id", (user, avatar)).fetchone()["id"]
            for i in range(2):
                key = f"{user}/generations/{gen}/{i}.png"
                conn.execute("INSERT INTO generation_images (generation_id, position, s3_key, content_type) "
                             "VALUES (%s, %s, %s, 'image/png')", (gen, i, key))
                put("images", key, 50_000)
    return uploaded


def _count(url: str, sql: str) -> Any:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]  # type: ignore[index]


def _run(env: dict[str, str], *argv: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, environ=env)
    return code, json.loads(out.getvalue()) if out.getvalue() else {}, err.getvalue()


def test_backup_then_restore_into_a_fresh_cluster_gives_back_everything(
        env: dict[str, str], source_db: Database, s3: Any, buckets: dict[str, str],
        fresh_cluster: tuple[Postgres, int], tmp_path: Path, source_url: str) -> None:
    uploaded = _populate(source_db, s3, buckets)
    code, made, err = _run(env, "run", "--dest", str(tmp_path / "backups"), "--textfile-dir", str(tmp_path / "tf"))
    assert code == 0, err
    folder = Path(made["backup"])
    assert (folder / store.DUMP).read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    metrics = (tmp_path / "tf" / store.METRICS_FILE).read_text()
    assert "aisha_backup_last_success_timestamp_seconds " in metrics and "aisha_backup_objects 18" in metrics

    _cluster, port = fresh_cluster
    target_url = Postgres.url(port)
    code, report, err = _run(env, "restore", str(folder), "--database-url", target_url, "--bucket-suffix=-r")
    assert code == 0, err
    assert report["ok"] and report["problems"] == []

    # compared here independently of the tool: rows, the ledger, every object's bytes
    for table in ("users", "ledger_entries", "avatars", "avatar_photos", "generations", "generation_images",
                  "webhook_events", "promo_codes"):
        assert _count(target_url, f"SELECT count(*) FROM {table}") == _count(source_url,
                                                                             f"SELECT count(*) FROM {table}"), table
    ledger_sql = "SELECT kind, sum(amount) FROM ledger_entries GROUP BY kind ORDER BY kind"
    with psycopg.connect(target_url) as a, psycopg.connect(source_url) as b:
        assert a.execute(ledger_sql).fetchall() == b.execute(ledger_sql).fetchall()
    for name, digest in uploaded.items():
        role, key = name.split("/", 1)
        body = s3.get_object(Bucket=f"{buckets[role]}-r", Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == digest, name
    # the ledger stays append-only after a restore (the trigger came back too)
    with pytest.raises(psycopg.errors.RaiseException), psycopg.connect(target_url) as conn:
        conn.execute("DELETE FROM ledger_entries")

    # a second restore into the same (no longer empty) targets is refused, not merged
    code, _, err = _run(env, "restore", str(folder), "--database-url", target_url, "--bucket-suffix=-r")
    assert code == 2 and "not empty" in err

    # and the check does catch a damaged copy
    some = next(iter(uploaded))
    role, key = some.split("/", 1)
    s3.put_object(Bucket=f"{buckets[role]}-r", Key=key, Body=b"damaged")
    target = Target(target_url, env["S3_ENDPOINT_URL"], "us-east-1", {r: f"{b}-r" for r, b in buckets.items()})
    damaged = verify(store.read_manifest(folder), target)
    assert damaged.problems == [f"{role}/{key}: checksum differs"]


def test_retention_keeps_the_newest_and_a_failed_run_leaves_no_backup(
        env: dict[str, str], buckets: dict[str, str], tmp_path: Path) -> None:
    source = Source(env["DATABASE_URL"], env["S3_ENDPOINT_URL"], "us-east-1", buckets)
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    for day in range(4):
        backup(source, tmp_path, keep=2, now=start + timedelta(days=day))
    assert [p.name for p in store.complete(tmp_path)] == ["20260103T030000Z", "20260104T030000Z"]
    broken = Source("postgresql://nobody@127.0.0.1:1/x", env["S3_ENDPOINT_URL"], "us-east-1", buckets)
    with pytest.raises(psycopg.OperationalError):
        backup(broken, tmp_path, keep=2, now=start + timedelta(days=9))
    assert [p.name for p in store.complete(tmp_path)] == ["20260103T030000Z", "20260104T030000Z"]
