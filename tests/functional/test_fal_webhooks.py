"""fal_webhook_status and fal_webhook_portrait through their entry points, with recorded FAL deliveries
signed by a test key whose JWKS a local server publishes."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.functional.conftest import Functions
from tests.functional.events import api_gateway_post, fal_webhook
from tests.functional.handlers import journal_rows

ENDPOINTS = {"fal_webhook_status": ("/webhook/fal/status", "fal_process_generation"),
             "fal_webhook_portrait": ("/webhook/fal/portrait", "fal_process_training")}


def _deliver(functions: Functions, function: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = functions.call(function, api_gateway_post(ENDPOINTS[function][0], body, headers))
    answer["json"] = json.loads(answer["body"])
    return answer


@pytest.mark.parametrize(("function", "recorded"), [("fal_webhook_status", "generation_ok"),
                                                    ("fal_webhook_status", "error"),
                                                    ("fal_webhook_status", "payload_error"),
                                                    ("fal_webhook_portrait", "training_ok")])
def test_a_signed_delivery_is_journaled_and_handed_to_processing(functions: Functions, function: str,
                                                                 recorded: str) -> None:
    request_id = str(uuid.uuid4())
    body = fal_webhook(recorded, request_id)
    answer = _deliver(functions, function, body, functions.fal_keys.headers(request_id, body))
    assert answer["statusCode"] == 200, answer["json"]
    assert answer["json"] == {"ok": True, "request_id": request_id, "duplicate": False}
    rows = journal_rows(functions.database_url, "fal", request_id)
    assert [(r["status"], r["signature"]) for r in rows] == [("received", "valid")]
    assert functions.invoke_api.queued(ENDPOINTS[function][1]).count({"event_id": rows[0]["id"]}) == 1


def test_bad_stale_and_missing_signatures_are_refused_and_journaled(functions: Functions) -> None:
    request_id = str(uuid.uuid4())
    body = fal_webhook("generation_ok", request_id)
    cases = [
        (functions.fal_keys.headers(request_id, body, key=Ed25519PrivateKey.generate()), 401, "invalid_signature"),
        (functions.fal_keys.headers(request_id, body, timestamp=int(time.time()) - 301), 401, "stale_timestamp"),
        ({k: v for k, v in functions.fal_keys.headers(request_id, body).items()
          if k != "X-Fal-Webhook-Signature"}, 400, "missing_header"),
        (functions.fal_keys.headers(request_id, body + b" "), 401, "invalid_signature"),  # body changed after signing
    ]
    for headers, status, code in cases:
        answer = _deliver(functions, "fal_webhook_status", body, headers)
        assert (answer["statusCode"], answer["json"]["error"]) == (status, code)
    rows = journal_rows(functions.database_url, "fal", request_id)
    assert [(r["status"], r["error_code"]) for r in rows] == [("rejected", code) for _, _, code in cases]
    assert [r["signature"] for r in rows] == ["invalid", "stale", "missing", "invalid"]
    assert not any(p["event_id"] in {r["id"] for r in rows}
                   for p in functions.invoke_api.queued("fal_process_generation"))

    # the genuine delivery still goes through after the forgeries
    ok = _deliver(functions, "fal_webhook_status", body, functions.fal_keys.headers(request_id, body))
    assert ok["statusCode"] == 200 and ok["json"]["duplicate"] is False


def test_a_repeated_request_id_is_one_journal_entry_and_processing_is_idempotent(functions: Functions) -> None:
    request_id = str(uuid.uuid4())
    body = fal_webhook("generation_ok", request_id)
    first = _deliver(functions, "fal_webhook_status", body, functions.fal_keys.headers(request_id, body))
    event_id = journal_rows(functions.database_url, "fal", request_id)[0]["id"]
    outcome = functions.call("fal_process_generation", {"event_id": event_id})
    assert outcome["event_id"] == event_id and outcome["outcome"] == "unmatched"  # no generation has this id

    again = _deliver(functions, "fal_webhook_status", body, functions.fal_keys.headers(request_id, body))
    assert first["statusCode"] == again["statusCode"] == 200
    assert again["json"] == {"ok": True, "request_id": request_id, "duplicate": True}
    rows = journal_rows(functions.database_url, "fal", request_id)
    assert len(rows) == 1 and rows[0]["attempts"] == 2
