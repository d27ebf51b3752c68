"""`python -m infra.admin`: what support does by hand, through the core layer's own rules.

    python -m infra.admin promo create CODE --kind coins|bonus_percent|discount_percent --value N
                                       [--valid-from T] [--valid-until T] [--max-uses N] [--per-user-limit N]
    python -m infra.admin promo list [--all] [--json]
    python -m infra.admin promo disable CODE
    python -m infra.admin user ID [--json]                      # balance, ledger, avatars, generations, deliveries
    python -m infra.admin credit ID AMOUNT --reason TEXT [--operator NAME] [--key KEY]
    python -m infra.admin debit ID AMOUNT --reason TEXT [--operator NAME] [--key KEY] [--allow-negative]
    python -m infra.admin stars-refund ID CHARGE_ID --reason TEXT [--operator NAME] [--allow-negative]

The operator defaults to the login name (`$SUDO_USER` under sudo). Settings come from the environment,
over `.local/services.env` when it exists (or `--env-file`).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from infra.cli_env import add_env_file_option, cli_environ


def _operator() -> str:
    return os.environ.get("SUDO_USER") or getpass.getuser()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.admin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_env_file_option(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    promo = sub.add_parser("promo", help="promo codes").add_subparsers(dest="action", required=True)
    create = promo.add_parser("create")
    create.add_argument("code")
    create.add_argument("--kind", required=True, choices=("coins", "bonus_percent", "discount_percent"))
    create.add_argument("--value", type=int, required=True)
    create.add_argument("--valid-from", type=datetime.fromisoformat)
    create.add_argument("--valid-until", type=datetime.fromisoformat)
    create.add_argument("--max-uses", type=int)
    create.add_argument("--per-user-limit", type=int, default=1)
    listing = promo.add_parser("list")
    listing.add_argument("--all", action="store_true", help="inactive ones too")
    listing.add_argument("--json", action="store_true")
    promo.add_parser("disable").add_argument("code")
    user = sub.add_parser("user", help="a user's record")
    user.add_argument("id", type=int)
    user.add_argument("--json", action="store_true")
    for name in ("credit", "debit"):
        change = sub.add_parser(name, help=f"manual {name} (a ledger adjustment naming the operator)")
        change.add_argument("id", type=int)
        change.add_argument("amount", type=int)
        change.add_argument("--reason", required=True)
        change.add_argument("--operator", default=None)
        change.add_argument("--key", help="idempotency key: the same key never changes the balance twice")
        if name == "debit":
            change.add_argument("--allow-negative", action="store_true")
    refund = sub.add_parser("stars-refund", help="refundStarPayment and take the coins back, once")
    refund.add_argument("id", type=int)
    refund.add_argument("charge_id", help="telegram_payment_charge_id")
    refund.add_argument("--reason", required=True)
    refund.add_argument("--operator", default=None)
    refund.add_argument("--allow-negative", action="store_true", help="refund even if the coins are spent")
    return parser


def _show(value: Any, out: TextIO) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str), file=out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    from aisha.config import load_settings
    from aisha.errors import AishaError
    from aisha.resources import Resources

    try:
        resources = Resources(load_settings(cli_environ(environ, args.env_file)))
    except Exception as exc:  # a configuration error names the variable
        print(f"error: {exc}", file=err)
        return 2
    try:
        return _run(args, resources, out)
    except AishaError as exc:
        print(json.dumps({"error": exc.code, "message": exc.message, **({"details": exc.details}
                                                                        if exc.details else {})}), file=err)
        return 1
    finally:
        resources.db.close()


def _run(args: argparse.Namespace, resources: Any, out: TextIO) -> int:
    from aisha.errors import ClientError
    from aisha.models import PromoKind
    from aisha.services import ledger, promo, support

    from infra.journal import queries

    db = resources.db
    if args.command == "promo":
        with db.transaction() as conn:
            if args.action == "create":
                made = promo.create(conn, args.code, PromoKind(args.kind), args.value, valid_from=args.valid_from,
                                    valid_until=args.valid_until, max_uses=args.max_uses,
                                    per_user_limit=args.per_user_limit)
                _show(made.to_json_dict(), out)
            elif args.action == "disable":
                _show(support.disable_promo(conn, args.code).to_json_dict(), out)
            else:
                codes = support.list_promos(conn, include_inactive=args.all)
                if args.json:
                    _show([c.to_json_dict() for c in codes], out)
                for c in [] if args.json else codes:
                    limit = f"{c.uses}/{c.max_uses}" if c.max_uses else f"{c.uses}/-"
                    print(f"{c.code:20} {c.kind.value:16} {c.value:>6}  uses {limit:>9}  per user {c.per_user_limit}"
                          f"  {'active' if c.active else 'disabled'}  until {c.valid_until or '-'}", file=out)
        return 0
    if args.command == "user":
        with db.transaction() as conn:
            record = support.user_record(conn, args.id)
            record["deliveries"] = [
                {k: row[k] for k in ("id", "provider", "status", "error_code", "received_at")}
                for row in queries.search(conn, queries.Filters(user=args.id, limit=10))]
        _show(record, out)
        return 0
    operator = args.operator or _operator()
    if args.command in ("credit", "debit"):
        if args.amount <= 0:
            raise ClientError("give a positive amount; credit or debit says which way", code="invalid_amount")
        amount = args.amount if args.command == "credit" else -args.amount
        with db.transaction() as conn:
            entry, created = support.adjust(conn, args.id, amount, reason=args.reason, operator=operator,
                                            idempotency_key=args.key,
                                            allow_negative=getattr(args, "allow_negative", False))
            balance = ledger.balance(conn, args.id)
        _show({"entry": entry.to_json_dict(), "created": created, "balance": balance}, out)
        return 0
    return _stars_refund(args, resources, operator, out)


def _stars_refund(args: argparse.Namespace, resources: Any, operator: str, out: TextIO) -> int:
    from aisha.errors import ConfigError
    from aisha.services import ledger, support

    from infra.admin.telegram import refund_star_payment

    settings = resources.settings
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is required for a Stars refund", variables=["TELEGRAM_BOT_TOKEN"])
    token = settings.telegram_bot_token.get_secret_value()
    telegram: dict[str, bool] = {}

    def at_telegram() -> None:
        telegram["refunded_now"] = refund_star_payment(settings.telegram_api_base_url, token, args.id, args.charge_id)

    with resources.db.transaction() as conn:
        payment = support.stars_payment(conn, args.id, args.charge_id)
        entry = support.reverse_stars(conn, payment, operator=operator, reason=args.reason,
                                      refund_at_telegram=at_telegram, allow_negative=args.allow_negative)
        balance = ledger.balance(conn, args.id)
    _show({"entry": entry.to_json_dict(), "coins": payment.coins, "balance": balance, **telegram}, out)
    return 0
