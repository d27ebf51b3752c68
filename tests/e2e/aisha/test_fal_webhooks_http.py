"""The FAL webhook functions over HTTP through the runner: every way a delivery can be wrong,
and the same delivery five times, sequentially and concurrently, to two runner instances."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from aisha.db import Database
from aisha.fal.client import FalGateway
from aisha.models import GenerationStatus, LedgerKind
from aisha.services import generations, ledger, users
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sandbox.fal import sign_webhook
from tests import web
from tests.e2e.aisha.bot_kit import wait_events_settled, wait_for

ROUTE = "/webhook/fal/status"


@pytest.fixture(scope="module")
def db(stack: Any) -> Any:
    database = Database(stack.env["DATABASE_URL"])
    yield database
    database.close()


def _body(request_id: str) -> bytes:
    return json.dumps({"request_id": request_id, "gateway_request_id": request_id, "status": "OK",
                       "payload": {"images": [], "seed": 1}}).encode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return web.post(url + ROUTE, content=body, headers={"Content-Type": "application/json", **headers}, timeout=15)


def _journal(db: Database, request_id: str) -> list[tuple[str, str, str | None]]:
    with db.transaction() as conn:
        rows = conn.execute("SELECT status, signature, error_code FROM webhook_events WHERE claimed_key = %s "
                            "ORDER BY id", (request_id,)).fetchall()
    return [(r["status"], r["signature"], r["error_code"]) for r in rows]


def _sandbox_sign(stack: Any, body: bytes, request_id: str, timestamp: int | None = None) -> dict[str, str]:
    return stack.fal.core.keys.sign(body, request_id, "sandbox-user", timestamp)


CASES = ["forged", "unknown_key", "stale", "future", "altered", "no_request_id", "no_user_id", "no_timestamp",
         "no_signature"]


@pytest.mark.parametrize("case", CASES)
def test_bad_deliveries_are_refused_and_journaled(stack: Any, db: Database, case: str) -> None:
    request_id = f"req-{uuid.uuid4()}"
    body = _body(request_id)
    headers = _sandbox_sign(stack, body, request_id)
    now = int(time.time())
    if case == "forged":
        headers["X-Fal-Webhook-Signature"] = "00" * 64
    elif case == "unknown_key":
        headers = sign_webhook(body, request_id, "sandbox-user", now, Ed25519PrivateKey.generate())
    elif case in ("stale", "future"):
        headers = _sandbox_sign(stack, body, request_id, now + (-400 if case == "stale" else 400))
    elif case == "altered":
        body = body.replace(b'"seed": 1', b'"seed": 2')
    else:
        name = {"no_request_id": "Request-Id", "no_user_id": "User-Id", "no_timestamp": "Timestamp",
                "no_signature": "Signature"}[case]
        del headers[f"X-Fal-Webhook-{name}"]
    response = _post(stack.url, body, headers)
    expected = {"stale": (401, "stale_timestamp"), "future": (401, "stale_timestamp")}.get(
        case, (400, "missing_header") if case.startswith("no_") else (401, "invalid_signature"))
    assert (response.status_code, response.json()["error"]) == expected
    assert response.headers["content-type"].startswith("application/json")
    assert [(s, c) for s, _, c in _journal(db, request_id)] == [("rejected", expected[1])]


def test_a_truncated_or_malformed_body_is_refused(stack: Any, db: Database) -> None:
    request_id = f"req-{uuid.uuid4()}"
    for body in (_body(request_id)[:-7], json.dumps({"request_id": request_id, "status": "COMPLETED"}).encode()):
        response = _post(stack.url, body, _sandbox_sign(stack, body, request_id))
        assert (response.status_code, response.json()["error"]) == (400, "malformed_body")
    assert [e for _, _, e in _journal(db, request_id)] == ["malformed_body", "malformed_body"]


def test_a_rotated_key_is_picked_up(stack: Any, db: Database) -> None:
    request_id = f"req-{uuid.uuid4()}"
    body = _body(request_id)
    assert _post(stack.url, body, _sandbox_sign(stack, body, request_id)).status_code == 200
    stack.fal.rotate_key(keep_old=False)
    request_id = f"req-{uuid.uuid4()}"
    body = _body(request_id)
    # as FAL redelivers: refused (401) until FAL_JWKS_MIN_REFRESH_SECONDS after the last fetch, then accepted
    answers: list[int] = []
    wait_for(lambda: answers.append(_post(stack.url, body, _sandbox_sign(stack, body, request_id)).status_code)
             or answers[-1] == 200, 10, "a delivery signed with the new key accepted")
    assert set(answers) <= {200, 401}


def test_the_same_delivery_five_times_to_two_instances_has_one_effect(stack: Any, db: Database) -> None:
    fal = FalGateway(stack.env["FAL_KEY"])
    user_id = random.randint(10**8, 10**9)
    settings = stack.settings()
    # a finished FAL job whose own webhook went nowhere: we deliver its result ourselves
    request_id = fal.submit("fal-ai/flux-lora", {"prompt": "twin towers of light", "num_images": 2},
                            webhook_url="http://127.0.0.1:9/nowhere")
    deadline = time.monotonic() + 30
    while fal.status("fal-ai/flux-lora", request_id).state != "COMPLETED":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    result = fal.result("fal-ai/flux-lora", request_id)
    with db.transaction() as conn:
        users.register(conn, user_id, first_name="Dee")
        ledger.credit(conn, user_id, 10, LedgerKind.TOPUP)
        generation = generations.create(conn, user_id, "twin towers of light", num_images=2, cost=10)
        charge = ledger.charge(conn, user_id, 10, reason="generation")
        generations.transition(conn, generation.id, GenerationStatus.QUEUED, fal_request_id=request_id,
                               charge_id=charge.id)
    body = json.dumps({"request_id": request_id, "gateway_request_id": request_id, "status": "OK",
                       "payload": result}).encode()

    def deliver(url: str) -> int:
        return _post(url, body, _sandbox_sign(stack, body, request_id)).status_code

    sequential = [deliver(stack.urls[i % 2]) for i in range(5)]
    codes: list[int] = []
    start = threading.Barrier(5)

    def concurrent(i: int) -> None:
        start.wait()
        codes.append(deliver(stack.urls[i % 2]))

    threads = [threading.Thread(target=concurrent, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sequential == [200] * 5 and codes == [200] * 5

    def done() -> bool:
        with db.transaction() as conn:
            return generations.get(conn, generation.id).status is GenerationStatus.COMPLETED

    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    wait_events_settled(stack)  # every duplicate hand-on was queued before its 200: all of them ran
    from aisha.storage import Storage

    storage = Storage(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
    with db.transaction() as conn:
        entries = ledger.history(conn, user_id)
        event = conn.execute("SELECT attempts, status FROM webhook_events WHERE provider = 'fal' "
                             "AND delivery_key = %s", (request_id,)).fetchone()
        images = generations.images(conn, generation.id)
    assert [e.kind for e in entries] == [LedgerKind.CHARGE, LedgerKind.TOPUP]
    assert event == {"attempts": 10, "status": "processed"}
    assert len(images) == 2
    assert len(storage.list_keys(settings.s3_bucket_images, f"{user_id}/")) == 2
    assert len(stack.chat.calls("sendMediaGroup", chat_id=user_id, wait=10)) == 1
    assert stack.chat.calls("sendMessage", chat_id=user_id) == []
