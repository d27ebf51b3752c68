"""`python -m infra.backup run | restore | list`.

    python -m infra.backup run --dest DIR [--keep 14] [--textfile-dir DIR]
    python -m infra.backup restore BACKUP_DIR --database-url URL [--bucket-suffix S | --photos B --loras B --images B]
    python -m infra.backup list --dest DIR

The source is the functions' own configuration (DATABASE_URL, S3_ENDPOINT_URL, S3_REGION, the
S3_BUCKET_* names, AWS credentials for boto3), from the environment over `.local/services.env`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from infra.backup import store
from infra.backup.restore import Target, restore
from infra.backup.run import Source, backup
from infra.cli_env import add_env_file_option, cli_environ

DEFAULT_BUCKETS = {"photos": "aisha-photos", "loras": "aisha-loras", "images": "aisha-images"}


def _buckets(env: Mapping[str, str]) -> dict[str, str]:
    return {role: env.get(f"S3_BUCKET_{role.upper()}") or name for role, name in DEFAULT_BUCKETS.items()}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_env_file_option(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="back up the database and the three buckets into a new folder under --dest")
    run.add_argument("--dest", type=Path, required=True)
    run.add_argument("--keep", type=int, default=14, help="complete backups kept (default 14)")
    run.add_argument("--textfile-dir", type=Path, help="node_exporter textfile collector folder for the metrics")
    res = sub.add_parser("restore", help="restore a backup into an empty database and empty buckets, then check it")
    res.add_argument("backup", type=Path)
    res.add_argument("--database-url", required=True, help="an empty database (created with CREATE DATABASE)")
    res.add_argument("--s3-endpoint-url", default=None, help="default S3_ENDPOINT_URL")
    res.add_argument("--bucket-suffix", default="", help="restore into <name><suffix> buckets")
    for role in DEFAULT_BUCKETS:
        res.add_argument(f"--{role}", help=f"target {role} bucket")
    listing = sub.add_parser("list", help="the complete backups under --dest")
    listing.add_argument("--dest", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    env = cli_environ(environ, args.env_file)
    region = env.get("S3_REGION") or "us-east-1"
    credentials = (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"))
    try:
        if args.command == "list":
            for folder in store.complete(args.dest):
                manifest = store.read_manifest(folder)
                print(f"{folder.name}  {manifest['size_bytes']:>12} bytes  {manifest['duration_seconds']:>8.1f} s",
                      file=out)
            return 0
        if args.command == "run":
            if "DATABASE_URL" not in env:
                raise ValueError("DATABASE_URL is not set")
            source = Source(env["DATABASE_URL"], env.get("S3_ENDPOINT_URL"), region, _buckets(env), credentials)
            folder = backup(source, args.dest, keep=args.keep, pg_dump=_tool("pg_dump"))
            manifest = store.read_manifest(folder)
            if args.textfile_dir:
                store.write_metrics(args.textfile_dir, manifest, time.time())
            print(json.dumps({"backup": str(folder), "duration_seconds": manifest["duration_seconds"],
                              "size_bytes": manifest["size_bytes"]}), file=out)
            return 0
        names = {role: getattr(args, role) or f"{name}{args.bucket_suffix}" for role, name in _buckets(env).items()}
        target = Target(args.database_url, args.s3_endpoint_url or env.get("S3_ENDPOINT_URL"), region, names,
                        credentials)
        report = restore(args.backup, target, pg_restore=_tool("pg_restore"))
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    print(json.dumps({"restored": str(args.backup), "seconds": report.seconds, "ok": report.ok,
                      "problems": report.problems}), file=out)
    return 0 if report.ok else 1
