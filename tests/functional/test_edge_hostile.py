"""Hostile deliveries through the webhook functions' entry points: each is journaled or refused with a 4xx
JSON body and a stable code (never a 5xx), and a refused body is stored as its first KB, size and hash."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

import psycopg

from tests.functional.conftest import Functions
from tests.functional.events import api_gateway_post, fal_webhook, telegram_update

KEEP = 4096  # aisha.services.journal.REJECTED_BODY_KEEP
DEEP = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _call(functions: Functions, function: str, path: str, body: bytes, headers: dict[str, str], *,
          base64_body: bool = False) -> dict[str, Any]:
    event = api_gateway_post(path, b"", headers)
    event["body"] = base64.b64encode(body).decode() if base64_body else body.decode("utf-8", "replace")
    event["isBase64Encoded"] = base64_body
    answer: dict[str, Any] = functions.call(function, event)
    assert answer["headers"]["Content-Type"] == "application/json"
    answer["json"] = json.loads(answer["body"])
    return answer


def _stored(functions: Functions, sha256: str) -> list[dict[str, Any]]:
    with psycopg.connect(functions.database_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT provider, status, signature, error_code, claimed_key, length(body) AS kept, "
                            "body_size FROM webhook_events WHERE body_sha256 = %s ORDER BY id", (sha256,)).fetchall()


def test_deeply_nested_json_without_a_request_id_is_refused_400_and_journaled(functions: Functions) -> None:
    body = DEEP + uuid.uuid4().hex.encode()  # unique, so its journal row is this test's
    answer = _call(functions, "fal_webhook_status", "/webhook/fal/status", body, {"Content-Type": "application/json"})
    assert (answer["statusCode"], answer["json"]["error"]) == (400, "missing_header")
    [row] = _stored(functions, hashlib.sha256(body).hexdigest())
    assert (row["status"], row["signature"], row["claimed_key"]) == ("rejected", "missing", None)
    assert (row["kept"], row["body_size"]) == (KEEP, len(body))


def test_a_timestamp_of_401_digits_is_refused_401_and_journaled(functions: Functions) -> None:
    request_id = str(uuid.uuid4())
    body = fal_webhook("generation_ok", request_id)
    for stamp, code in (("9" * 401, "stale_timestamp"), ("-" + "9" * 401, "stale_timestamp"),
                        ("9" * 5000, "malformed_header"), ("1e10", "malformed_header")):
        headers = {**functions.fal_keys.headers(request_id, body), "X-Fal-Webhook-Timestamp": stamp}
        answer = _call(functions, "fal_webhook_status", "/webhook/fal/status", body, headers)
        assert (answer["statusCode"] // 100, answer["json"]["error"]) == (4, code), stamp[:10]
    rows = _stored(functions, hashlib.sha256(body).hexdigest())
    assert [(r["status"], r["error_code"]) for r in rows] == [
        ("rejected", "stale_timestamp"), ("rejected", "stale_timestamp"), ("rejected", "malformed_header"),
        ("rejected", "malformed_header")]
    assert {r["claimed_key"] for r in rows} == {request_id}


def test_a_signed_body_that_is_not_json_is_refused_400_and_journaled(functions: Functions) -> None:
    for body in (b"not json at all " + uuid.uuid4().hex.encode(), b"[1, 2, 3, \"" + uuid.uuid4().hex.encode() + b"\"]",
                 b'{"request_id": "\\u0000\\ud800", "x": "' + uuid.uuid4().hex.encode() + b'"}'):
        request_id = str(uuid.uuid4())
        answer = _call(functions, "fal_webhook_portrait", "/webhook/fal/portrait", body,
                       functions.fal_keys.headers(request_id, body))
        assert (answer["statusCode"], answer["json"]["error"]) in {(400, "malformed_body"),
                                                                   (400, "request_id_mismatch")}
        [row] = _stored(functions, hashlib.sha256(body).hexdigest())
        assert (row["status"], row["signature"], row["claimed_key"]) == ("rejected", "valid", request_id)


def test_content_types_do_not_decide_a_signed_delivery_is_kept_and_an_unsigned_one_refused(
        functions: Functions) -> None:
    request_id = str(uuid.uuid4())
    body = fal_webhook("generation_ok", request_id)
    signed = {**functions.fal_keys.headers(request_id, body), "Content-Type": "text/plain; charset=latin-1"}
    answer = _call(functions, "fal_webhook_status", "/webhook/fal/status", body, signed)
    assert answer["statusCode"] == 200 and answer["json"]["request_id"] == request_id  # signed: it is FAL's

    binary = bytes(range(256)) * 100 + uuid.uuid4().bytes  # not UTF-8: API Gateway gives it as base64
    answer = _call(functions, "fal_webhook_status", "/webhook/fal/status", binary,
                   {"Content-Type": "application/octet-stream"}, base64_body=True)
    assert (answer["statusCode"], answer["json"]["error"]) == (400, "missing_header")
    [row] = _stored(functions, hashlib.sha256(binary).hexdigest())
    assert (row["kept"], row["body_size"]) == (KEEP, len(binary))

    event = api_gateway_post("/webhook/fal/status", b"", signed)
    event["body"], event["isBase64Encoded"] = "%%% not base64 %%%", True
    broken = functions.call("fal_webhook_status", event)
    assert (broken["statusCode"], json.loads(broken["body"])["error"]) == (400, "malformed_body")


def test_twenty_unsigned_5mb_posts_store_kilobytes_not_megabytes(functions: Functions) -> None:
    tag = uuid.uuid4().hex.encode()
    hashes = []
    for i in range(20):
        body = tag + str(i).encode() + b"x" * (5 * 1024 * 1024)
        hashes.append(hashlib.sha256(body).hexdigest())
        answer = _call(functions, "fal_webhook_status", "/webhook/fal/status", body, {})
        assert (answer["statusCode"], answer["json"]["error"]) == (400, "missing_header")
    rows = [row for digest in hashes for row in _stored(functions, digest)]
    assert len(rows) == 20
    assert sum(r["kept"] for r in rows) == 20 * KEEP  # 80 KB kept, where the whole bodies were 100 MB
    assert all(r["body_size"] > 5 * 1024 * 1024 for r in rows)


def test_hostile_telegram_bodies_are_refused_with_json_and_journaled_only_when_authenticated(
        functions: Functions) -> None:
    secret = functions.env["TELEGRAM_WEBHOOK_SECRET"]
    cases = [
        (DEEP + uuid.uuid4().hex.encode(), {SECRET_HEADER: secret}, 400, "malformed_update", True),
        (b"\xff\xfe not json " + uuid.uuid4().hex.encode(), {SECRET_HEADER: secret}, 400, "malformed_update", True),
        (b'{"update_id": -1, "x": "' + uuid.uuid4().hex.encode() + b'"}', {SECRET_HEADER: secret}, 400,
         "malformed_update", True),
        (b"y" * (5 * 1024 * 1024) + uuid.uuid4().hex.encode(), {SECRET_HEADER: secret}, 400, "malformed_update",
         True),
        (DEEP + uuid.uuid4().hex.encode(), {}, 401, "invalid_secret_token", False),
        (b"z" * (5 * 1024 * 1024) + uuid.uuid4().hex.encode(), {SECRET_HEADER: "x" * 300}, 401,
         "invalid_secret_token", False),
    ]
    for body, headers, status, code, journaled in cases:
        answer = _call(functions, "tg_webhook", "/webhook/telegram", body, {"Content-Type": "text/html", **headers},
                       base64_body=not body.isascii())
        assert (answer["statusCode"], answer["json"]["error"]) == (status, code)
        rows = _stored(functions, hashlib.sha256(body).hexdigest())
        assert [(r["status"], r["kept"], r["body_size"]) for r in rows] == (
            [("rejected", min(KEEP, len(body)), len(body))] if journaled else [])

    update = telegram_update("text", functions.new_user())
    ok = _call(functions, "tg_webhook", "/webhook/telegram", json.dumps(update).encode(),
               {SECRET_HEADER: secret, "Content-Type": "text/plain"})
    assert ok["statusCode"] == 200  # an authenticated update is kept whatever its content type says


def test_the_retention_function_deletes_old_finished_rows(functions: Functions) -> None:
    body = b"old refused " + uuid.uuid4().hex.encode()
    _call(functions, "fal_webhook_status", "/webhook/fal/status", body, {})
    digest = hashlib.sha256(body).hexdigest()
    with psycopg.connect(functions.database_url) as conn:
        conn.execute("UPDATE webhook_events SET last_seen_at = now() - interval '8 days' WHERE body_sha256 = %s",
                     (digest,))
    summary = functions.call("journal_retention", {"source": "aws.events", "detail-type": "Scheduled Event"})
    assert summary["rejected_deleted"] >= 1 and summary["complete"] is True
    assert _stored(functions, digest) == []
