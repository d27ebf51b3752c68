"""A FAL delivery whose result file is unreachable, through the functions' entry points: the door hands it
on once however often it comes, the processor schedules its own retries, `python -m infra.journal list`
shows it with its code, tries and next try, `replay` hands it back once, and either it completes or,
when the tries run out, the user is refunded once and told (in their language, through the outbox and
the Telegram stand-in)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from infra.journal.cli import main as journal_cli
from tests.functional.conftest import Functions
from tests.functional.events import api_gateway_post
from tests.functional.handlers import catalogue, journal_rows, reset_worker_state
from tests.integration.core.fal_kit import FileHost, training_ok

PRICE = 150


@pytest.fixture(scope="module")
def files() -> Iterator[FileHost]:
    host = FileHost()
    yield host
    host.server.shutdown()


def _sql(functions: Functions, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(functions.database_url, row_factory=psycopg.rows.dict_row) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _training(functions: Functions, language: str) -> tuple[int, int, str]:
    """A registered user whose avatar trains at FAL, charged PRICE out of PRICE coins."""
    user_id = functions.new_user(language)
    request_id = f"req-{uuid.uuid4()}"
    _sql(functions, "INSERT INTO users (id, first_name, language) VALUES (%s, 'Ann', %s)", (user_id, language))
    _sql(functions, "INSERT INTO ledger_entries (user_id, amount, kind, reason) VALUES (%s, %s, 'topup', 't')",
         (user_id, PRICE))
    charge = _sql(functions, "INSERT INTO ledger_entries (user_id, amount, kind, reason) VALUES (%s, %s, 'charge', "
                  "'training') RETURNING id", (user_id, -PRICE))[0]["id"]
    avatar = _sql(functions, "INSERT INTO avatars (user_id, name, gender, training_type, trigger_phrase, status, "
                  "fal_request_id, fal_model, training_charge_id, training_started_at) VALUES (%s, 'Mila', 'female', "
                  "'portrait', %s, 'training', %s, 'fal-ai/flux-lora-portrait-trainer', %s, now()) RETURNING id",
                  (user_id, f"tp{uuid.uuid4().hex[:12]}", request_id, charge))[0]["id"]
    return user_id, int(avatar), request_id


def _deliver(functions: Functions, files: FileHost, request_id: str) -> dict[str, Any]:
    body = json.dumps(training_ok(files, request_id)).encode()
    event = api_gateway_post("/webhook/fal/portrait", body, functions.fal_keys.headers(request_id, body))
    answer: dict[str, Any] = functions.call("fal_webhook_portrait", event)
    assert answer["statusCode"] == 200, answer
    return answer


def _journal(functions: Functions, *argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = journal_cli(list(argv), out, err, environ={**functions.env, "AWS_ACCESS_KEY_ID": "test",
                                                      "AWS_SECRET_ACCESS_KEY": "test"})
    return code, out.getvalue() + err.getvalue()


def _status(functions: Functions, table: str, row_id: int) -> str:
    return str(_sql(functions, f"SELECT status FROM {table} WHERE id = %s", (row_id,))[0]["status"])


def _balance(functions: Functions, user_id: int) -> int:
    return int(_sql(functions, "SELECT COALESCE(sum(amount), 0) AS b FROM ledger_entries WHERE user_id = %s",
                    (user_id,))[0]["b"])


def test_an_unreachable_result_waits_is_listed_replayed_once_and_completes(functions: Functions,
                                                                           files: FileHost) -> None:
    user_id, avatar_id, request_id = _training(functions, "en")
    for _ in range(3):  # FAL (or the chaos suite) delivers it three times
        _deliver(functions, files, request_id)
    (row,) = journal_rows(functions.database_url, "fal", request_id)
    queued = functions.invoke_api.queued("fal_process_training")
    assert queued.count({"event_id": row["id"]}) == 1 and row["attempts"] == 3

    files.down = True
    try:
        first = functions.call("fal_process_training", {"event_id": row["id"]})
        again = functions.call("fal_process_training", {"event_id": row["id"]})  # a duplicate invocation
    finally:
        files.down = False
    assert (first["outcome"], again["outcome"]) == ("retry_scheduled", "not_due")
    assert _status(functions, "avatars", avatar_id) == "training"

    code, out = _journal(functions, "list", "--provider", "fal", "--json")
    (listed,) = [item for item in json.loads(out) if item["id"] == row["id"]]
    assert code == 0 and listed["status"] == "failed" and listed["code"] == "fal_file_unavailable"
    assert listed["processing_attempts"] == 1 and listed["next_retry_at"] is not None
    code, out = _journal(functions, "list", "--provider", "fal")
    assert code == 0 and "tries 1" in out and "next try in" in out

    url = functions.invoke_api.url
    code, out = _journal(functions, "replay", str(row["id"]), "--endpoint-url", url)
    assert code == 0 and f"{row['id']}: replayed" in out
    code, out = _journal(functions, "replay", str(row["id"]), "--endpoint-url", url)  # again: nothing happens
    assert code == 0 and "not_parked" in out
    _deliver(functions, files, request_id)  # and a late repeat from FAL queues nothing either
    assert functions.invoke_api.queued("fal_process_training").count({"event_id": row["id"]}) == 2

    done = functions.call("fal_process_training", {"event_id": row["id"]})
    assert done["outcome"] == "processed"
    assert _status(functions, "avatars", avatar_id) == "completed"
    texts = [m.get("text") for m in functions.sent(user_id)]
    assert texts.count(catalogue("en", "avatar_ready", name="Mila")) == 1
    assert _balance(functions, user_id) == 0  # charged once, nothing refunded
    code, out = _journal(functions, "list", "--provider", "fal", "--json")
    assert row["id"] not in [item["id"] for item in json.loads(out)]


def test_when_the_tries_run_out_the_user_is_refunded_once_and_told(functions: Functions, files: FileHost,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_RETRY_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("FAL_RETRY_BASE_SECONDS", "1")
    reset_worker_state()
    user_id, avatar_id, request_id = _training(functions, "ru")
    _deliver(functions, files, request_id)
    (row,) = journal_rows(functions.database_url, "fal", request_id)
    files.down = True
    try:
        assert functions.call("fal_process_training", {"event_id": row["id"]})["outcome"] == "retry_scheduled"
        _sql(functions, "UPDATE webhook_events SET next_retry_at = now() WHERE id = %s", (row["id"],))
        assert functions.call("fal_process_training", {"event_id": row["id"]})["outcome"] == "gave_up"
        assert functions.call("fal_process_training", {"event_id": row["id"]})["outcome"] == "duplicate"
    finally:
        files.down = False
    assert _status(functions, "avatars", avatar_id) == "error"
    assert _balance(functions, user_id) == PRICE
    refunds = _sql(functions, "SELECT count(*) AS n FROM ledger_entries WHERE user_id = %s AND kind = 'refund'",
                   (user_id,))
    assert refunds == [{"n": 1}]
    told = catalogue("ru", "avatar_failed", name="Mila", reason=catalogue("ru", "reason_result_unavailable"),
                     coins=PRICE)
    assert [m.get("text") for m in functions.sent(user_id)] == [told]


def test_a_parked_delivery_is_listed_with_why_and_replayed_once_into_the_retry_scheme(functions: Functions,
                                                                                      files: FileHost) -> None:
    user_id, avatar_id, request_id = _training(functions, "en")
    _deliver(functions, files, request_id)
    (row,) = journal_rows(functions.database_url, "fal", request_id)
    # parked the way the three-tries scheme left it
    _sql(functions, "UPDATE webhook_events SET status = 'parked', error_code = 'fal_file_unavailable', "
         "last_error = 'FAL file server answered 503', processing_attempts = 3 WHERE id = %s", (row["id"],))
    assert functions.call("fal_process_training", {"event_id": row["id"]})["outcome"] == "not_due"  # only replay

    code, out = _journal(functions, "list", "--provider", "fal")
    (line,) = [text for text in out.splitlines() if text.split()[0] == str(row["id"])]
    assert code == 0 and "parked" in line and "tries 3" in line and "fal_file_unavailable" in line
    assert "next try" not in line

    url = functions.invoke_api.url
    before = functions.invoke_api.queued("fal_process_training").count({"event_id": row["id"]})
    assert f"{row['id']}: replayed" in _journal(functions, "replay", str(row["id"]), "--endpoint-url", url)[1]
    assert "not_parked" in _journal(functions, "replay", str(row["id"]), "--endpoint-url", url)[1]
    assert functions.invoke_api.queued("fal_process_training").count({"event_id": row["id"]}) == before + 1
    assert _sql(functions, "SELECT status, processing_attempts FROM webhook_events WHERE id = %s",
                (row["id"],)) == [{"status": "received", "processing_attempts": 0}]

    files.down = True  # still down: the replayed delivery is back on the schedule, not parked again
    try:
        assert functions.call("fal_process_training", {"event_id": row["id"]})["outcome"] == "retry_scheduled"
    finally:
        files.down = False
    _sql(functions, "UPDATE webhook_events SET next_retry_at = now() WHERE id = %s", (row["id"],))
    assert functions.call("fal_process_training", {"event_id": row["id"]})["outcome"] == "processed"
    assert _status(functions, "avatars", avatar_id) == "completed"
    assert [m.get("text") for m in functions.sent(user_id)] == [catalogue("en", "avatar_ready", name="Mila")]


def test_a_delivery_whose_processor_could_not_be_queued_is_handed_on_by_fals_next_try(
        functions: Functions, files: FileHost, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, request_id = _training(functions, "en")
    body = json.dumps(training_ok(files, request_id)).encode()
    monkeypatch.setenv("LAMBDA_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: the Invoke API is down
    reset_worker_state()
    event = api_gateway_post("/webhook/fal/portrait", body, functions.fal_keys.headers(request_id, body))
    refused = functions.call("fal_webhook_portrait", event)
    assert refused["statusCode"] == 503 and json.loads(refused["body"])["error"] == "queue_unavailable"
    (row,) = journal_rows(functions.database_url, "fal", request_id)
    assert row["status"] == "received"  # journaled: nothing lost

    monkeypatch.setenv("LAMBDA_ENDPOINT_URL", functions.invoke_api.url)
    reset_worker_state()
    _deliver(functions, files, request_id)  # FAL tries again, at once
    assert functions.invoke_api.queued("fal_process_training").count({"event_id": row["id"]}) == 1
