"""The metrics function's figures come from PostgreSQL: rows written show up in the next scrape."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]


def _handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("metrics_app", ROOT / "functions/metrics/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler  # type: ignore[no-any-return]


def _forget_resources() -> None:
    """Drop the metrics function's cached clients (its pool closed: a pool left to the garbage collector
    may be finalised in one of its own threads, which cannot join itself), as a new worker starts without."""
    from aisha.handlers import metrics as metrics_handler

    if metrics_handler._resources.cache_info().currsize:
        metrics_handler._resources().close()
    metrics_handler._resources.cache_clear()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Samples:
    answer = handler({"httpMethod": "GET", "path": "/metrics"}, None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer["body"]):  # the official parser: the format is valid
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


@pytest.fixture
def scrape(services: dict[str, str], database_url: str,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Any]]:
    for key, value in {**services, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(key, value)
    _forget_resources()  # resources made from another test's environment: not reused
    handler = _handler()
    yield lambda: _scrape(handler)
    _forget_resources()


def _avatar(conn: Any, user_id: int, status: str, *, started: bool = True) -> int:
    row = conn.execute(
        "INSERT INTO avatars (user_id, name, gender, training_type, trigger_phrase, status, training_started_at, "
        "lora_key) VALUES (%s, 'a', 'female', 'portrait', %s, %s, CASE WHEN %s THEN now() END, "
        "CASE WHEN %s = 'completed' THEN 'k' END) RETURNING id",
        (user_id, f"tp{uuid.uuid4().hex}", status, started, status)).fetchone()
    return int(row["id"])


def _delta(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_trainings_generations_refunds_and_deliveries_are_counted(
        scrape: Callable[[], Any], db: Database, make_user: Callable[..., int]) -> None:
    before = scrape()
    user = make_user(coins=100)
    with db.transaction() as conn:
        _avatar(conn, user, "training")
        _avatar(conn, user, "completed")
        _avatar(conn, user, "error")
        _avatar(conn, user, "draft", started=False)  # never submitted: not a training
        conn.execute("INSERT INTO generations (user_id, prompt, num_images, status, cost, queued_at) "
                     "VALUES (%s, 'p', 1, 'queued', 5, now())", (user,))
        charge = ledger.charge(conn, user, 5, reason="test")
        ledger.refund(conn, charge.id, reason="failed")
        conn.execute("INSERT INTO webhook_events (provider, endpoint, claimed_key, body, signature, status, "
                     "error_code) VALUES ('fal', '/webhook/fal/status', 'x', 'b', 'invalid', 'rejected', "
                     "'invalid_signature')")
        conn.execute("INSERT INTO webhook_events (provider, endpoint, delivery_key, body, signature, status, "
                     "received_at) VALUES ('telegram', '/webhook/telegram', %s, 'b', 'valid', 'parked', "
                     "now() - interval '2 hours')", (uuid.uuid4().hex,))
        conn.execute("INSERT INTO notifications (key, chat_id, kind) VALUES (%s, %s, 'k')", (uuid.uuid4().hex, user))
    after = scrape()
    assert _delta(before, after, "aisha_trainings_submitted_total") == 3
    assert _delta(before, after, "aisha_trainings_completed_total") == 1
    assert _delta(before, after, "aisha_trainings_failed_total") == 1
    assert _delta(before, after, "aisha_generations_total", status="queued") == 1
    assert _delta(before, after, "aisha_fal_work_waiting", kind="training") == 1
    assert _delta(before, after, "aisha_refunds_total") == 1
    assert _delta(before, after, "aisha_ledger_coins_total", kind="refund") == 5
    assert _delta(before, after, "aisha_webhook_deliveries_total", provider="fal", outcome="rejected",
                  code="invalid_signature") == 1
    assert _delta(before, after, "aisha_parked_deliveries", provider="telegram") == 1
    assert after[("aisha_oldest_parked_age_seconds", (("provider", "telegram"),))] >= 7200
    assert _delta(before, after, "aisha_outbox_backlog") == 1
    assert after[("aisha_metrics_up", ())] == 1


def test_refund_counter_never_goes_down(scrape: Callable[[], Any], db: Database, make_user: Callable[..., int]) -> None:
    user = make_user(coins=20)
    with db.transaction() as conn:
        charge = ledger.charge(conn, user, 10, reason="test")
    first = scrape()
    with db.transaction() as conn:
        ledger.refund(conn, charge.id, reason="test")
        ledger.credit(conn, user, 1, LedgerKind.BONUS, reason="test")
    second = scrape()
    assert _delta(first, second, "aisha_refunds_total") == 1
    assert _delta(first, second, "aisha_ledger_entries_total", kind="bonus") == 1


def test_database_down_is_a_failed_scrape(services: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for key, value in {**services, "DATABASE_URL": f"postgresql://u@127.0.0.1:{port}/x",
                       "SERVICE_TIMEOUT_SECONDS": "1"}.items():
        monkeypatch.setenv(key, value)
    _forget_resources()  # resources of another test's environment must not be reused
    try:
        answer = _handler()({"httpMethod": "GET", "path": "/metrics"}, None)
    finally:
        _forget_resources()
    assert answer["statusCode"] == 503 and "database_unavailable" in answer["body"]
