"""`python -m infra.journal search | show | list | replay`: the journal for whoever is on call.

    python -m infra.journal search [--provider fal|telegram] [--delivery-id ID] [--user ID]
                                   [--status S ...] [--code CODE] [--since T] [--until T] [--limit N] [--json]
    python -m infra.journal show ID [--json]
    python -m infra.journal list [--provider P] [--json]          # parked deliveries and why, and
                                                                  # FAL ones waiting for their next try
    python -m infra.journal replay ID... [--endpoint-url URL]     # hand parked ones back to their function

T is ISO 8601 (2026-12-01T10:00:00+00:00) or an age: 30m, 2h, 7d. Settings come from the environment,
over `.local/services.env` when it exists (or `--env-file`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from infra.cli_env import add_env_file_option, cli_environ
from infra.journal import queries
from infra.journal.replay import replay_one

_AGE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
STATUSES = ("rejected", "received", "processing", "processed", "unmatched", "failed", "parked")


def when(text: str) -> datetime:
    if match := _AGE.match(text.strip()):
        return datetime.now(UTC) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither ISO 8601 nor an age like 30m, 2h, 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.journal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_env_file_option(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="deliveries matching every filter given, newest first")
    search.add_argument("--provider", choices=("fal", "telegram"))
    search.add_argument("--delivery-id", help="FAL request id or Telegram update id")
    search.add_argument("--user", type=int, help="Telegram user id (FAL: the owner of the work)")
    search.add_argument("--status", action="append", choices=STATUSES, default=[])
    search.add_argument("--code", help="refusal or error code, e.g. invalid_signature")
    search.add_argument("--since", type=when)
    search.add_argument("--until", type=when)
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="one delivery in full: headers, body, outcome, attempts")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", help="parked deliveries and why; FAL ones waiting for their next try")
    listing.add_argument("--provider", choices=("fal", "telegram"))
    listing.add_argument("--json", action="store_true")
    replay = sub.add_parser("replay", help="hand parked (FAL: or waiting) deliveries back to their function "
                                           "(idempotent)")
    replay.add_argument("ids", type=int, nargs="+")
    replay.add_argument("--endpoint-url", help="a runner instance's Invoke API (default LAMBDA_ENDPOINT_URL)")
    return parser


def _age(moment: datetime) -> str:
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "provider": row["provider"], "endpoint": row["endpoint"],
            "delivery_id": row["delivery_key"] or row["claimed_key"], "status": row["status"],
            "code": row["error_code"], "signature": row["signature"], "deliveries": row["attempts"],
            "processing_attempts": row["processing_attempts"], "received_at": row["received_at"].isoformat(),
            "next_retry_at": _next_retry(row), "error": row["last_error"]}


def _next_retry(row: dict[str, Any]) -> str | None:
    """When a FAL delivery waiting for its next try (status failed) is due; None for anything else."""
    due = row.get("next_retry_at")
    return due.isoformat() if due is not None and row["status"] == "failed" else None


def _line(item: dict[str, Any]) -> str:
    received = datetime.fromisoformat(item["received_at"])
    why = f"  {item['code'] or ''} {(item['error'] or '')[:100]}".rstrip()
    tries = f"  tries {item['processing_attempts']}" if item["provider"] == "fal" else ""
    due = f"  next try in {_until(item['next_retry_at'])}" if item.get("next_retry_at") else ""
    return (f"{item['id']:>8}  {item['provider']:8} {item['status']:10} {_age(received):>5} ago  "
            f"{str(item['delivery_id'] or '-')[:40]:40}{tries}{due}{why}")


def _until(moment: str) -> str:
    seconds = max(0, int((datetime.fromisoformat(moment) - datetime.now(UTC)).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _detail(row: dict[str, Any], work: dict[str, Any] | None) -> dict[str, Any]:
    body = bytes(row["body"])
    parsed = queries.parse_body(body)
    detail = {**_summary(row), "headers": row["headers"], "last_seen_at": row["last_seen_at"].isoformat(),
              "processed_at": row["processed_at"].isoformat() if row["processed_at"] else None,
              "body": parsed if parsed is not None else body.decode("utf-8", "replace")[:4000]}
    if row["provider"] == "telegram":
        detail["users"] = sorted(queries.telegram_users(parsed))
    detail["work"] = work
    return detail


def _print(items: Any, as_json: bool, out: TextIO, lines: Any) -> None:
    if as_json:
        print(json.dumps(items, indent=2, ensure_ascii=False, default=str), file=out)
    else:
        for text in lines:
            print(text, file=out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    from aisha.config import load_settings
    from aisha.errors import AishaError
    from aisha.resources import Resources

    env = cli_environ(environ, args.env_file)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # boto3 reads them from the process, as on Lambda
        if key in env:
            os.environ.setdefault(key, env[key])
    if getattr(args, "endpoint_url", None):
        env["LAMBDA_ENDPOINT_URL"] = args.endpoint_url
    try:
        resources = Resources(load_settings(env))
    except Exception as exc:  # a configuration error names the variable
        print(f"error: {exc}", file=err)
        return 2
    try:
        return _run(args, resources, out, err)
    except AishaError as exc:
        print(f"error: {exc}", file=err)
        return 1
    finally:
        resources.db.close()


def _run(args: argparse.Namespace, resources: Any, out: TextIO, err: TextIO) -> int:
    db = resources.db
    if args.command in ("search", "list"):
        with db.transaction() as conn:
            rows = (queries.search(conn, queries.Filters(args.provider, args.delivery_id, args.user,
                                                         tuple(args.status), args.code, args.since, args.until,
                                                         args.limit)) if args.command == "search"
                    else queries.waiting(conn, args.provider))
            items = [_summary(row) for row in rows]
        _print(items, args.json, out, [_line(i) for i in items] or ["(nothing)"])
        return 0
    if args.command == "show":
        with db.transaction() as conn:
            row = queries.get(conn, args.id)
            key = row["delivery_key"] or row["claimed_key"]
            work = queries.work_of(conn, key) if row["provider"] == "fal" else None
        detail = _detail(row, work)
        _print(detail, args.json, out, [json.dumps(detail, indent=2, ensure_ascii=False, default=str)])
        return 0
    if not resources.settings.lambda_endpoint_url:
        print("error: give --endpoint-url (a runner instance, e.g. http://127.0.0.1:8001) or LAMBDA_ENDPOINT_URL",
              file=err)
        return 2
    from aisha.invoke import FunctionInvoker

    invoker = FunctionInvoker(resources.settings)
    lease = resources.settings.fal_hand_on_lease_seconds
    results = [replay_one(db, resources.redis, event_id, invoker.invoke_event, lease_seconds=lease)
               for event_id in args.ids]
    for result in results:
        print(f"{result.event_id}: {result.outcome}: {result.detail}", file=out)
    return 0 if all(r.outcome in ("replayed", "not_parked") for r in results) else 1
