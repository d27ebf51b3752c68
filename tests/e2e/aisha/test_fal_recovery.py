"""When things go wrong between FAL and us: FAL's file server down during processing (tried again on
our own schedule), and a webhook that never comes."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aisha.db import Database
from aisha.fal.client import FalGateway
from aisha.models import GenerationStatus, LedgerKind
from aisha.resources import Resources
from aisha.services import generations, ledger, submissions, users

from tests.e2e.aisha.bot_kit import invoke, wait_events_settled, wait_for

ROOT = Path(__file__).resolve().parents[3]


def _user(db: Database, coins: int) -> int:
    user_id = random.randint(10**8, 10**9)
    with db.transaction() as conn:
        users.register(conn, user_id, first_name="Eve")
        ledger.credit(conn, user_id, coins, LedgerKind.TOPUP)
    return user_id


def _failed_cli(stack: Any, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "local_runner", "failed", *args], cwd=ROOT, env=stack.env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_file_server_down_is_tried_again_on_schedule_not_parked_by_the_runner(stack: Any, res: Resources) -> None:
    user_id = _user(res.db, 10)
    fal = FalGateway(stack.env["FAL_KEY"])
    stack.fal.configure(files_available=False)
    try:
        generation = submissions.submit_generation(res.db, res.storage, fal, res.settings, user_id=user_id,
                                                   prompt="a fox in snow", num_images=1)

        def waiting_for_retry() -> Any:
            with res.db.transaction() as conn:
                return conn.execute("SELECT id, status, error_code, processing_attempts, next_retry_at > now() AS "
                                    "later FROM webhook_events WHERE delivery_key = %s AND status = 'failed'",
                                    (generation.fal_request_id,)).fetchone()

        event = wait_for(waiting_for_retry, timeout=40)
        assert (event["error_code"], event["processing_attempts"], event["later"]) == ("fal_file_unavailable", 1, True)
        wait_events_settled(stack)
        with res.db.transaction() as conn:
            assert generations.get(conn, generation.id).status is GenerationStatus.QUEUED  # nothing half-written
            assert generations.images(conn, generation.id) == []
        assert res.storage.list_keys(res.settings.s3_bucket_images, f"{user_id}/") == []
        # the processor answered normally: the runner neither retried it nor put it on its failure list
        parked = [json.loads(line) for line in _failed_cli(stack, "list", "--json").splitlines() if line]
        assert not [p for p in parked if json.loads(p["payload"]).get("event_id") == event["id"]]
    finally:
        stack.fal.configure(files_available=True)

    with res.db.transaction() as conn:  # its wait is over (time passes in the database, not in the test)
        conn.execute("UPDATE webhook_events SET next_retry_at = now() WHERE id = %s", (event["id"],))
    assert invoke(stack, "fal_reconcile")["retries_due"] >= 1

    def completed() -> bool:
        with res.db.transaction() as conn:
            return generations.get(conn, generation.id).status is GenerationStatus.COMPLETED

    wait_for(completed)
    assert len(res.storage.list_keys(res.settings.s3_bucket_images, f"{user_id}/")) == 1
    with res.db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 5  # charged once, not refunded


def test_reconciliation_finishes_a_generation_whose_webhook_never_came(stack: Any, res: Resources) -> None:
    user_id = _user(res.db, 5)
    fal = FalGateway(stack.env["FAL_KEY"])
    request_id = fal.submit("fal-ai/flux-lora", {"prompt": "a quiet harbour", "num_images": 1},
                            webhook_url="http://127.0.0.1:9/lost")
    with res.db.transaction() as conn:
        generation = generations.create(conn, user_id, "a quiet harbour", num_images=1, cost=5)
        charge = ledger.charge(conn, user_id, 5, reason="generation")
        generations.transition(conn, generation.id, GenerationStatus.QUEUED, fal_request_id=request_id,
                               fal_model="fal-ai/flux-lora", charge_id=charge.id,
                               queued_at=datetime.now(UTC) - timedelta(hours=1))
    wait_for(lambda: fal.status("fal-ai/flux-lora", request_id).state == "COMPLETED")

    summary = invoke(stack, "fal_reconcile")
    if summary["handed_on"] == 0:  # the runner's own schedule (each 5 minutes of the clock) came first
        with res.db.transaction() as conn:
            assert conn.execute("SELECT 1 FROM webhook_events WHERE delivery_key = %s AND endpoint = 'reconcile'",
                                (request_id,)).fetchone(), summary

    def completed() -> bool:
        with res.db.transaction() as conn:
            return generations.get(conn, generation.id).status is GenerationStatus.COMPLETED

    wait_for(completed)
    assert len(stack.chat.calls("sendPhoto", chat_id=user_id, wait=10)) == 1
    with res.db.transaction() as conn:
        event = conn.execute("SELECT endpoint, signature, status FROM webhook_events WHERE delivery_key = %s",
                             (request_id,)).fetchone()
    assert event == {"endpoint": "reconcile", "signature": "unchecked", "status": "processed"}
