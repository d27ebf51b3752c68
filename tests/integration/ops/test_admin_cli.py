"""`python -m infra.admin` against the real database, and the Telegram stand-in for Stars refunds."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger, promo

from infra.admin.cli import main
from sandbox.telegram import SandboxClient, TelegramSandbox
from tests import web


@pytest.fixture
def env(services: dict[str, str], database_url: str) -> dict[str, str]:
    return {**services, "DATABASE_URL": database_url}


def run(env: dict[str, str], *argv: str) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, environ=env)
    text = out.getvalue()
    try:
        return code, json.loads(text), err.getvalue()
    except ValueError:
        return code, text, err.getvalue()


def test_promo_codes_created_listed_and_disabled(env: dict[str, str], db: Database,
                                                 make_user: Callable[..., int]) -> None:
    code = f"OPS{uuid.uuid4().hex[:8]}".upper()
    status, made, _ = run(env, "promo", "create", code.lower(), "--kind", "coins", "--value", "50", "--max-uses", "10")
    assert status == 0 and made["code"] == code and made["active"] and made["max_uses"] == 10
    status, listed, _ = run(env, "promo", "list")
    assert status == 0 and code in listed and "uses      0/10" in listed
    status, _, err = run(env, "promo", "create", code, "--kind", "bonus_percent", "--value", "150")
    assert status == 1 and json.loads(err)["error"] == "invalid_promo"
    status, disabled, _ = run(env, "promo", "disable", code)
    assert status == 0 and disabled["active"] is False
    status, listed, _ = run(env, "promo", "list")
    assert code not in listed
    status, listed, _ = run(env, "promo", "list", "--all", "--json")
    assert [c["active"] for c in listed if c["code"] == code] == [False]
    user = make_user()
    with pytest.raises(Exception, match="no longer active"), db.transaction() as conn:
        promo.redeem(conn, user, code)  # the bot's own rule now refuses it
    status, _, err = run(env, "promo", "disable", "NOSUCHCODE")
    assert status == 1 and json.loads(err)["error"] == "promo_not_found"


def test_manual_credit_and_debit_name_the_operator_once_per_key(env: dict[str, str], db: Database,
                                                                make_user: Callable[..., int]) -> None:
    user = make_user(coins=30)
    status, done, _ = run(env, "credit", str(user), "25", "--reason", "apology for ticket 12", "--operator", "ann",
                          "--key", f"t12-{user}")
    assert status == 0 and done["created"] and done["balance"] == 55
    assert done["entry"]["kind"] == "adjustment" and done["entry"]["reason"] == "manual by ann: apology for ticket 12"
    status, again, _ = run(env, "credit", str(user), "25", "--reason", "apology for ticket 12", "--operator", "ann",
                           "--key", f"t12-{user}")
    assert status == 0 and not again["created"] and again["balance"] == 55
    status, _, err = run(env, "debit", str(user), "100", "--reason", "chargeback", "--operator", "ann")
    assert status == 1 and json.loads(err)["error"] == "insufficient_funds"
    status, done, _ = run(env, "debit", str(user), "5", "--reason", "duplicate credit", "--operator", "bob")
    assert status == 0 and done["balance"] == 50 and done["entry"]["amount"] == -5
    status, _, err = run(env, "credit", str(user), "0", "--reason", "x")
    assert status == 1 and json.loads(err)["error"] == "invalid_amount"
    status, _, err = run(env, "credit", "1", "5", "--reason", "x")
    assert status == 1 and json.loads(err)["error"] == "user_not_found"


def test_a_users_record(env: dict[str, str], db: Database, make_user: Callable[..., int]) -> None:
    user = make_user(coins=40)
    with db.transaction() as conn:
        conn.execute("INSERT INTO avatars (user_id, name, gender, training_type, trigger_phrase) "
                     "VALUES (%s, 'Kate', 'female', 'portrait', %s)", (user, f"tp{uuid.uuid4().hex}"))
        conn.execute("INSERT INTO generations (user_id, prompt, num_images, cost) VALUES (%s, 'sea', 2, 10)", (user,))
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": user, "type": "private"},
                                              "from": {"id": user, "is_bot": False, "first_name": "K"}}}
        conn.execute("INSERT INTO webhook_events (provider, endpoint, delivery_key, body, signature, status) "
                     "VALUES ('telegram', '/webhook/telegram', %s, %s, 'valid', 'processed')",
                     (uuid.uuid4().hex, json.dumps(update).encode()))
    status, record, _ = run(env, "user", str(user))
    assert status == 0 and record["user"]["id"] == user and record["balance"] == 40
    assert [e["amount"] for e in record["ledger"]] == [40]
    assert [a["name"] for a in record["avatars"]] == ["Kate"]
    assert [g["num_images"] for g in record["generations"]] == [2]
    assert [d["status"] for d in record["deliveries"]] == ["processed"]


@pytest.fixture
def telegram() -> Iterator[TelegramSandbox]:
    sandbox = TelegramSandbox().start()
    yield sandbox
    sandbox.stop()


def _paid_with_stars(telegram: TelegramSandbox, user: int) -> str:
    """A real Stars payment in the stand-in: invoice, the user pays, the bot confirms the checkout."""
    api = f"{telegram.base_url}{telegram.token}"
    with SandboxClient(telegram.url) as client:
        client.set_user(user, first_name="Pay")
        invoice = web.post(f"{api}/sendInvoice", json={
            "chat_id": user, "title": "250 coins", "description": "top-up", "payload": "topup:250",
            "currency": "XTR", "prices": [{"label": "250 coins", "amount": 50}]}).json()["result"]
        checkout = client.pay(user, invoice["message_id"])
        answered = web.post(f"{api}/answerPreCheckoutQuery", json={"pre_checkout_query_id": checkout["id"],
                                                                     "ok": True}).json()
        assert answered["ok"], answered
        return str(client.payment(checkout["id"])["telegram_payment_charge_id"])


def test_stars_refund_refunds_at_telegram_and_takes_the_coins_back_once(
        env: dict[str, str], db: Database, make_user: Callable[..., int], telegram: TelegramSandbox) -> None:
    user = make_user(coins=10)
    charge = _paid_with_stars(telegram, user)
    with db.transaction() as conn:  # as the bot credits a successful_payment
        ledger.credit(conn, user, 250, LedgerKind.TOPUP, reason="telegram stars 50 XTR",
                      idempotency_key=f"stars:{charge}")
        ledger.credit(conn, user, 25, LedgerKind.BONUS, reason="top-up bonus", idempotency_key=f"stars:{charge}:bonus")
    tg_env = {**env, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url}
    status, done, err = run(tg_env, "stars-refund", str(user), charge, "--reason", "asked in /paysupport",
                            "--operator", "ann")
    assert status == 0, err
    assert done["coins"] == 275 and done["balance"] == 10 and done["refunded_now"] is True
    assert done["entry"]["reason"] == f"stars refund {charge} by ann: asked in /paysupport"
    with SandboxClient(telegram.url) as client:
        assert len(client.calls("refundStarPayment")) == 1
    status, _, err = run(tg_env, "stars-refund", str(user), charge, "--reason", "again", "--operator", "ann")
    assert status == 1 and json.loads(err)["error"] == "already_done"
    with SandboxClient(telegram.url) as client:
        assert len(client.calls("refundStarPayment")) == 1  # Telegram is not asked twice
    with db.transaction() as conn:
        assert ledger.balance(conn, user) == 10


def test_a_stars_refund_telegram_refuses_changes_nothing(
        env: dict[str, str], db: Database, make_user: Callable[..., int], telegram: TelegramSandbox) -> None:
    user = make_user()
    charge = f"stxs{uuid.uuid4().hex}"  # in our ledger, unknown at Telegram
    with db.transaction() as conn:
        ledger.credit(conn, user, 250, LedgerKind.TOPUP, reason="stars", idempotency_key=f"stars:{charge}")
    tg_env = {**env, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url}
    status, _, err = run(tg_env, "stars-refund", str(user), charge, "--reason", "x", "--operator", "ann")
    assert status == 1 and "CHARGE_NOT_FOUND" in json.loads(err)["message"]
    with db.transaction() as conn:
        assert ledger.balance(conn, user) == 250
    status, _, err = run(tg_env, "stars-refund", str(user), "stxs-unknown", "--reason", "x", "--operator", "ann")
    assert status == 1 and json.loads(err)["error"] == "payment_not_found"


def test_spent_coins_are_not_refunded_without_saying_so(
        env: dict[str, str], db: Database, make_user: Callable[..., int], telegram: TelegramSandbox) -> None:
    user = make_user()
    charge = _paid_with_stars(telegram, user)
    with db.transaction() as conn:
        ledger.credit(conn, user, 250, LedgerKind.TOPUP, reason="stars", idempotency_key=f"stars:{charge}")
        ledger.charge(conn, user, 150, reason="training")
    tg_env = {**env, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url}
    status, _, err = run(tg_env, "stars-refund", str(user), charge, "--reason", "x", "--operator", "ann")
    assert status == 1 and json.loads(err)["error"] == "insufficient_funds"
    with SandboxClient(telegram.url) as client:
        assert client.calls("refundStarPayment") == []  # checked before Telegram is asked
    status, done, _ = run(tg_env, "stars-refund", str(user), charge, "--reason", "x", "--operator", "ann",
                          "--allow-negative")
    assert status == 0 and done["balance"] == -150
