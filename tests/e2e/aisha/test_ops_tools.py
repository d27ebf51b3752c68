"""The operations tools against the real stack: GET /metrics served by the real metrics function, and a
parked Telegram update replayed through the real Invoke API, tg_dispatch and bot_start."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import web
from tests.e2e.aisha.bot_kit import bot_messages, new_chat, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]


def test_the_metrics_function_answers_through_the_runner(stack: Any) -> None:
    answer = web.get(f"{stack.url}/metrics", timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(answer.text)}
    assert {"aisha_trainings_submitted", "aisha_webhook_deliveries", "aisha_parked_deliveries",
            "aisha_outbox_backlog", "aisha_metrics_up"} <= names  # the parser drops counters' _total


def _parked_start(stack: Any, chat_id: int) -> int:
    update = {"update_id": random.randint(10**8, 10**9), "message": {
        "message_id": 1, "date": 1_700_000_000, "text": "/start", "entities": [{"type": "bot_command", "offset": 0,
                                                                                "length": 6}],
        "chat": {"id": chat_id, "type": "private", "first_name": "Rita"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Rita", "language_code": "en"}}}
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        row = conn.execute(
            "INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, body, signature, status, "
            "error_code, last_error, processing_attempts) VALUES ('telegram', '/webhook/telegram', %s, %s, %s, "
            "'valid', 'parked', 'handler_Unhandled', 'bot_start: the bug, since fixed', 1) RETURNING id",
            (str(update["update_id"]), str(update["update_id"]), json.dumps(update).encode())).fetchone()
    assert row is not None
    return int(row[0])


def _status(stack: Any, event_id: int) -> str:
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT status FROM webhook_events WHERE id = %s", (event_id,)).fetchone()
    return str(row[0]) if row else ""


def _journal(stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infra.journal", *args], cwd=ROOT, env=dict(stack.env),
                          capture_output=True, text=True, timeout=60)


def test_a_parked_update_replayed_reaches_the_bot_once(stack: Any) -> None:
    chat_id = new_chat(stack, "Rita", "en")
    event_id = _parked_start(stack, chat_id)
    listed = _journal(stack, "list", "--provider", "telegram", "--json")
    assert listed.returncode == 0 and event_id in [i["id"] for i in json.loads(listed.stdout)]

    done = _journal(stack, "replay", str(event_id), "--endpoint-url", stack.url)
    assert done.returncode == 0 and f"{event_id}: replayed" in done.stdout, done.stderr
    wait_for(lambda: _status(stack, event_id) == "processed", what="the replayed update processed")
    replies = wait_for(lambda: bot_messages(stack, chat_id), what="the bot's answer to /start")

    again = _journal(stack, "replay", str(event_id), "--endpoint-url", stack.url)
    assert again.returncode == 0 and "not_parked" in again.stdout
    shown = json.loads(_journal(stack, "show", str(event_id), "--json").stdout)
    assert shown["status"] == "processed" and shown["users"] == [chat_id]
    assert len(bot_messages(stack, chat_id)) == len(replies)  # the second replay sent nothing
