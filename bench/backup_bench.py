"""Benchmark: how long a backup and a restore of a populated system take (the recovery time), beside
a baseline in the same run: a bare `pg_dump` of the same database, and a bare download of the same objects.

    .venv/bin/python -m bench.backup_bench [--users 2000] [--avatars 100] [--photo-kb 200] [--generations 400]

It uses the local services (`make services`), a database and buckets of its own that it drops again, and a
fresh PostgreSQL cluster (initdb) for the restore, stopped and removed at the end. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import psycopg

from infra.backup.buckets import client, copy_out
from infra.backup.restore import Target, restore
from infra.backup.run import Source, backup
from infra.devservices import up
from infra.devservices.postgres import Postgres
from infra.migrate import apply_migrations

ROOT = Path(__file__).resolve().parents[1]


def _populate(url: str, s3: object, buckets: dict[str, str], args: argparse.Namespace) -> int:
    objects = 0
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users (id, first_name) SELECT g, 'U' FROM generate_series(1, %s) g", (args.users,))
        conn.execute("INSERT INTO ledger_entries (user_id, amount, kind) SELECT (g %% %s) + 1, 10, 'topup' "
                     "FROM generate_series(1, %s) g", (args.users, args.users * 10))
        for a in range(args.avatars):
            user = a % args.users + 1
            lora = f"{user}/avatars/{a}/lora.safetensors"
            avatar = conn.execute("INSERT INTO avatars (user_id, name, gender, training_type, trigger_phrase, status, "
                                  "lora_key) VALUES (%s, 'a', 'male', 'portrait', %s, 'completed', %s) RETURNING id",
                                  (user, uuid.uuid4().hex, lora)).fetchone()[0]  # type: ignore[index]
            s3.put_object(Bucket=buckets["loras"], Key=lora, Body=os.urandom(args.photo_kb * 1024 * 4))  # type: ignore[attr-defined]
            for p in range(10):
                key = f"{user}/avatars/{avatar}/photos/{p}.jpg"
                conn.execute("INSERT INTO avatar_photos (avatar_id, s3_key, content_type, size_bytes, width, height, "
                             "sha256, position) VALUES (%s, %s, 'image/jpeg', 1, 512, 512, %s, %s)",
                             (avatar, key, uuid.uuid4().hex * 2, p))
                s3.put_object(Bucket=buckets["photos"], Key=key, Body=os.urandom(args.photo_kb * 1024))  # type: ignore[attr-defined]
            objects += 11
        for g in range(args.generations):
            key = f"{g % args.users + 1}/generations/{g}/0.png"
            gen = conn.execute("INSERT INTO generations (user_id, prompt, num_images, status, cost) "
                               "VALUES (%s, 'p', 1, 'completed', 5) RETURNING id", (g % args.users + 1,)).fetchone()[0]  # type: ignore[index]
            conn.execute("INSERT INTO generation_images (generation_id, position, s3_key, content_type) "
                         "VALUES (%s, 0, %s, 'image/png')", (gen, key))
            s3.put_object(Bucket=buckets["images"], Key=key, Body=os.urandom(args.photo_kb * 1024))  # type: ignore[attr-defined]
            objects += 1
    return objects


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backup_bench")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--avatars", type=int, default=100)
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--generations", type=int, default=400)
    args = parser.parse_args(argv)
    env = up(ROOT, migrate=False).env
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, env.get(key, "test"))
    tag = uuid.uuid4().hex[:8]
    admin = env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    url = env["DATABASE_URL"].rsplit("/", 1)[0] + f"/bench_backup_{tag}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "bench_backup_{tag}"')
    s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], region_name="us-east-1")
    buckets = {role: f"bench-{role}-{tag}" for role in ("photos", "loras", "images")}
    work = Path(tempfile.mkdtemp(prefix="aisha-backup-bench-"))
    cluster = Postgres(work / "pg")
    try:
        apply_migrations(url)
        for name in buckets.values():
            s3.create_bucket(Bucket=name)
        objects = _populate(url, s3, buckets, args)

        started = time.monotonic()
        subprocess.run(["pg_dump", "--format=custom", f"--file={work / 'bare.dump'}", f"--dbname={url}"], check=True)
        bare_dump = time.monotonic() - started
        started = time.monotonic()
        for role, bucket in buckets.items():
            copy_out(client(env["S3_ENDPOINT_URL"], "us-east-1"), bucket, work / "bare" / role)
        bare_copy = time.monotonic() - started

        source = Source(url, env["S3_ENDPOINT_URL"], "us-east-1", buckets)
        started = time.monotonic()
        folder = backup(source, work / "backups", keep=2)
        backup_seconds = time.monotonic() - started
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

        port = cluster.start()
        target = Target(Postgres.url(port), env["S3_ENDPOINT_URL"], "us-east-1",
                        {role: f"{name}-restored" for role, name in buckets.items()})
        report = restore(folder, target)
        print(f"system: {args.users} users, {args.users * 10} ledger entries, {args.avatars} avatars, "
              f"{args.generations} generations, {objects} objects, backup {size / 1e6:.1f} MB")
        print(f"baseline  bare pg_dump              {bare_dump:7.2f} s")
        print(f"baseline  bare object download      {bare_copy:7.2f} s")
        print(f"backup    python -m infra.backup run {backup_seconds:7.2f} s")
        print(f"restore   restore + full check      {report.seconds:7.2f} s   ok={report.ok}")
        return 0 if report.ok else 1
    finally:
        cluster.stop()
        shutil.rmtree(cluster.home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        for bucket in [*buckets.values(), *(f"{b}-restored" for b in buckets.values())]:
            try:
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                    for item in page.get("Contents", []):
                        s3.delete_object(Bucket=bucket, Key=item["Key"])
                s3.delete_bucket(Bucket=bucket)
            except s3.exceptions.ClientError:
                pass
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "bench_backup_{tag}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
