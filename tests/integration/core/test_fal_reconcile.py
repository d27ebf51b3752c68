"""`fal_reconcile`'s service against the FAL stand-in (the real fal-client over TLS), real PostgreSQL and
S3: parked work finished from FAL's own answer, FAL's failures refunded once, due retries and lost
invocations handed on once, and a row it cannot handle parked while the rest go on."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aisha.db import Database
from aisha.fal.client import FalGateway
from aisha.fal.files import fetch_file
from aisha.models import EventStatus, GenerationStatus
from aisha.services import fal_results, generations, journal, ledger, reconcile
from aisha.services.fal_retry import RetryPolicy
from aisha.storage import Storage

from sandbox.fal import FalSandbox, SandboxConfig
from tests.fal_hosts import use_fal_hosts
from tests.integration.core.fal_kit import FileHost, Sent, deliver_and_notify

MODEL = "fal-ai/flux-lora"
NOW = RetryPolicy(base_seconds=0)


@pytest.fixture(scope="module")
def fal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FalSandbox, FalGateway]]:
    sandbox = FalSandbox(Path(tmp_path_factory.mktemp("fal-certs")),
                         SandboxConfig(queue_delay=0.0, processing_delay=0.05, files_over_https=False)).start()
    before = use_fal_hosts(sandbox.client_env())
    try:
        yield sandbox, FalGateway(sandbox.client_env()["FAL_KEY"])
    finally:
        use_fal_hosts(before)
        sandbox.stop()


def _finished_job(gateway: FalGateway, prompt: str) -> str:
    request_id = gateway.submit(MODEL, {"prompt": prompt, "num_images": 1}, webhook_url="http://127.0.0.1:9/lost")
    deadline = time.monotonic() + 30
    while gateway.status(MODEL, request_id).state != "COMPLETED":
        assert time.monotonic() < deadline, "the stand-in never finished the job"
        time.sleep(0.05)
    return request_id


def _waiting_generation(db: Database, user_id: int, request_id: str, model: str | None = MODEL) -> tuple[int, int]:
    """A generation charged and queued at FAL an hour ago."""
    with db.transaction() as conn:
        generation = generations.create(conn, user_id, "a lighthouse", num_images=1, cost=5)
        charge = ledger.charge(conn, user_id, 5, reason="generation")
        generations.transition(conn, generation.id, GenerationStatus.QUEUED, fal_request_id=request_id,
                               fal_model=model, charge_id=charge.id, queued_at=datetime.now(UTC) - timedelta(hours=1))
    return generation.id, charge.id


def _parked_delivery(db: Database, request_id: str, body: dict[str, object]) -> int:
    """A webhook delivery parked the way the three-tries scheme left them."""
    with db.transaction() as conn:
        event = journal.record_delivery(conn, journal.Provider.FAL, "/webhook/fal/status", request_id, {},
                                        json.dumps(body).encode(), keep_headers=()).event
        conn.execute("UPDATE webhook_events SET status = 'parked', error_code = 'fal_file_unavailable', "
                     "processing_attempts = 3 WHERE id = %s", (event.id,))
    return event.id


def _run(db: Database, gateway: FalGateway) -> reconcile.Report:
    return reconcile.reconcile(db, gateway, older_than=60, park_after=3600, lease=600)


def _mine(report: reconcile.Report, event_ids: set[int]) -> list[tuple[str, int]]:
    return [item for item in report.to_process if item[1] in event_ids]


def _events_of(db: Database, request_id: str) -> list[dict[str, object]]:
    with db.transaction() as conn:
        return list(conn.execute("SELECT id, endpoint, delivery_key, status, error_code FROM webhook_events "
                                 "WHERE provider = 'fal' AND delivery_key IN (%s, %s) ORDER BY id",
                                 (request_id, f"{request_id}#reconcile")).fetchall())


def test_parked_work_is_finished_from_fals_own_answer(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int],
    fal: tuple[FalSandbox, FalGateway],
) -> None:
    _, gateway = fal
    user_id = make_user(coins=5)
    request_id = _finished_job(gateway, "a lighthouse at dusk")
    generation_id, charge_id = _waiting_generation(db, user_id, request_id)
    gone = {"request_id": request_id, "status": "OK", "payload": {"images": [{"url": f"{files.base}/gone.png"}]}}
    parked = _parked_delivery(db, request_id, gone)

    report = _run(db, gateway)
    events = _events_of(db, request_id)
    assert [(e["endpoint"], e["delivery_key"]) for e in events] == [
        ("/webhook/fal/status", request_id), ("reconcile", f"{request_id}#reconcile")]
    fresh = int(events[1]["id"])  # type: ignore[call-overload]
    assert _mine(report, {parked, fresh}) == [("generation", fresh)]

    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, fresh, sent, NOW).status == "processed"
    with db.transaction() as conn:
        assert generations.get(conn, generation_id).status is GenerationStatus.COMPLETED
        stored = generations.images(conn, generation_id)
        assert ledger.balance(conn, user_id) == 0  # charged, not refunded
        assert conn.execute("SELECT count(*) AS n FROM ledger_entries WHERE refund_of = %s",
                            (charge_id,)).fetchone() == {"n": 0}
    assert len(stored) == 1 and storage.get(buckets.images, stored[0].s3_key).startswith(b"\xff\xd8\xff")  # JPEG
    assert [c[0] for c in sent.calls] == ["generation_done"]
    # the parked webhook has nothing left to do, and the next run leaves the work alone
    assert [e["status"] for e in _events_of(db, request_id)] == ["processed", "processed"]
    assert _mine(_run(db, gateway), {parked, fresh}) == []


def test_work_fal_failed_is_failed_and_refunded_once(
    db: Database, storage: Storage, buckets: fal_results.Buckets, make_user: Callable[..., int],
    fal: tuple[FalSandbox, FalGateway],
) -> None:
    _, gateway = fal
    user_id = make_user(coins=5)
    request_id = _finished_job(gateway, "FAIL on purpose")  # the stand-in ends it with a 500
    generation_id, charge_id = _waiting_generation(db, user_id, request_id)

    report = _run(db, gateway)
    (event,) = _events_of(db, request_id)
    assert event["endpoint"] == "reconcile" and event["delivery_key"] == request_id
    assert _mine(report, {int(event["id"])}) == [("generation", event["id"])]  # type: ignore[call-overload]
    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, int(event["id"]), sent, NOW).status == "processed"  # type: ignore[call-overload]
    _run(db, gateway)
    assert deliver_and_notify(db, storage, buckets, int(event["id"]), sent, NOW).status == "duplicate"  # type: ignore[call-overload]
    with db.transaction() as conn:
        assert generations.get(conn, generation_id).status is GenerationStatus.FAILED
        refunds = conn.execute("SELECT amount FROM ledger_entries WHERE refund_of = %s", (charge_id,)).fetchall()
        assert ledger.balance(conn, user_id) == 5
    assert refunds == [{"amount": 5}]
    assert [c[0] for c in sent.calls] == ["generation_failed"]


def test_due_retries_and_lost_invocations_are_handed_on_once(
    db: Database, make_user: Callable[..., int], fal: tuple[FalSandbox, FalGateway],
) -> None:
    _, gateway = fal
    user_id = make_user(coins=15)
    waiting, lost, early = (f"req-{uuid.uuid4()}" for _ in range(3))
    ids = {}
    for request_id in (waiting, lost, early):
        _waiting_generation(db, user_id, request_id)
        with db.transaction() as conn:
            body = json.dumps({"request_id": request_id, "status": "OK", "payload": {}}).encode()
            ids[request_id] = journal.record_delivery(conn, journal.Provider.FAL, "/webhook/fal/status", request_id,
                                                      {}, body, keep_headers=()).event.id
    with db.transaction() as conn:
        journal.schedule_retry(conn, ids[waiting], 0, error_code="fal_file_unavailable", error="down")
        journal.begin_attempt(conn, ids[lost], 0)  # its worker died: processing, lease over
        journal.schedule_retry(conn, ids[early], 3600, error_code="fal_file_unavailable", error="down")
    first = _run(db, gateway)
    assert sorted(_mine(first, set(ids.values()))) == sorted([("generation", ids[waiting]), ("generation", ids[lost])])
    assert _mine(_run(db, gateway), set(ids.values())) == []  # leased now: not handed on twice
    with db.transaction() as conn:
        statuses = {key: journal.get(conn, event_id).status for key, event_id in ids.items()}
    assert statuses == {waiting: EventStatus.RECEIVED, lost: EventStatus.RECEIVED, early: EventStatus.FAILED}


def test_a_row_it_cannot_handle_is_parked_and_the_rest_go_on(
    db: Database, storage: Storage, buckets: fal_results.Buckets, make_user: Callable[..., int],
    fal: tuple[FalSandbox, FalGateway],
) -> None:
    _, gateway = fal
    user_id = make_user(coins=15)
    no_model = f"req-{uuid.uuid4()}"
    _waiting_generation(db, user_id, no_model, model=None)  # nothing to ask FAL with
    unknown = f"req-{uuid.uuid4()}"
    _waiting_generation(db, user_id, unknown)  # FAL never heard of it: 404
    good = _finished_job(gateway, "a calm sea")
    good_id, _ = _waiting_generation(db, user_id, good)

    report = _run(db, gateway)
    (bad_a,), (bad_b,), (ok,) = _events_of(db, no_model), _events_of(db, unknown), _events_of(db, good)
    assert (bad_a["status"], bad_a["error_code"]) == ("parked", "no_fal_model")
    assert (bad_b["status"], bad_b["error_code"]) == ("parked", "fal_not_found")
    assert _mine(report, {int(ok["id"])}) == [("generation", ok["id"])]  # type: ignore[call-overload]
    assert report.parked >= 2
    assert fal_results.process(db, storage, buckets, int(ok["id"]), fetch_file, NOW).status == "processed"  # type: ignore[call-overload]
    with db.transaction() as conn:
        assert generations.get(conn, good_id).status is GenerationStatus.COMPLETED
    # parked once: the next run does not ask FAL about them again
    again = _run(db, gateway)
    assert len(_events_of(db, no_model)) == len(_events_of(db, unknown)) == 1
    assert _mine(again, {int(bad_a["id"]), int(bad_b["id"])}) == []  # type: ignore[call-overload]
