"""Property-based fuzzing of every public route through the functions' entry points (in-process, against the
real services): whatever arrives, the answer is never a 5xx, and every error is JSON with a stable code.

Bodies are arbitrary bytes, arbitrary JSON, JSON nested thousands deep, FAL- and Telegram-shaped documents;
FAL deliveries are sometimes signed with the test key and Telegram ones sometimes carry the right secret,
so the fuzz reaches past authentication into validation and the journal. FUZZ_EXAMPLES sets the examples
per route (default 80: a few seconds each).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.conftest import Functions
from tests.functional.events import api_gateway_post, fal_webhook, telegram_update

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
ROUTES = {"fal_webhook_status": ("POST", "/webhook/fal/status"),
          "fal_webhook_portrait": ("POST", "/webhook/fal/portrait"),
          "tg_webhook": ("POST", "/webhook/telegram"), "health": ("GET", "/health"), "metrics": ("GET", "/metrics")}
STABLE_CODES = {"missing_header", "malformed_header", "stale_timestamp", "invalid_signature", "malformed_body",
                "request_id_mismatch", "invalid_secret_token", "malformed_update"}
FAL_HEADERS = ("X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id", "X-Fal-Webhook-Timestamp",
               "X-Fal-Webhook-Signature")
OTHER_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token", "User-Agent", "X-Forwarded-For",
                 "Content-Encoding")

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15)
fal_documents = st.fixed_dictionaries(
    {"request_id": st.one_of(*[st.uuids().map(str)] * 4, st.text(max_size=40), json_values),
     "status": st.one_of(*[st.sampled_from(["OK", "ERROR"])] * 4, st.sampled_from(["COMPLETED", ""]), json_values)},
    optional={"gateway_request_id": st.text(max_size=40),
              "payload": st.one_of(*[st.dictionaries(st.text(max_size=10), json_values, max_size=4)] * 3, json_values),
              "error": st.one_of(*[st.text(max_size=40)] * 3, json_values), "payload_error": st.text(max_size=40)})
telegram_documents = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=-5, max_value=2**70),
     "message": st.fixed_dictionaries({"message_id": st.integers(0, 10**9), "date": st.integers(0, 2**33)},
                                      # without a chat or a sender too: well signed poison is parked, not a 5xx
                                      optional={"chat": st.fixed_dictionaries(
                                                    {"type": st.sampled_from(["private", "group"])},
                                                    optional={"id": st.integers(1, 2**40)}),
                                                "from": st.fixed_dictionaries({"id": st.integers(1, 2**40)}),
                                                "text": st.text(max_size=50), "photo": json_values,
                                                "media_group_id": st.text(max_size=10)})},
    optional={"edited_message": json_values, "extra": json_values,
              "callback_query": st.fixed_dictionaries({"id": st.text(max_size=10)},
                                                      optional={"data": st.text(max_size=70),
                                                                "from": st.fixed_dictionaries(
                                                                    {"id": st.integers(1, 2**40)})})})
deep = st.tuples(st.sampled_from([b'{"a":', b"["]), st.integers(300, 120_000)).map(
    lambda t: t[0] * t[1] + b"1" + (b"}" if t[0] == b'{"a":' else b"]") * t[1])
fal_bodies = fal_documents.map(lambda v: json.dumps(v).encode())
telegram_bodies = telegram_documents.map(lambda v: json.dumps(v).encode())
anything = st.one_of(st.binary(max_size=3000), json_values.map(lambda v: json.dumps(v).encode()), deep)
BODIES = {  # half the bodies shaped as the route expects, so many examples get past validation
    "fal_webhook_status": st.one_of(anything, fal_bodies, telegram_bodies, fal_bodies),
    "fal_webhook_portrait": st.one_of(anything, fal_bodies, telegram_bodies, fal_bodies),
    "tg_webhook": st.one_of(anything, telegram_bodies, fal_bodies, telegram_bodies),
    "health": st.one_of(anything, fal_bodies, telegram_bodies),
    "metrics": st.one_of(anything, fal_bodies, telegram_bodies),
}
TAMPER = (None, None, None, "signature", "timestamp", "request_id", "body")


def _accepted(route: str) -> bytes:
    """A body `route` takes in (sent signed and with the secret): a new FAL delivery, a Telegram /help."""
    if route.startswith("fal_"):
        return fal_webhook("generation_ok")
    if route == "tg_webhook":
        return json.dumps(telegram_update("command", 10**9 + uuid.uuid4().int % 10**9)).encode()
    return b""


def _signed(functions: Functions, body: bytes, tamper: str | None) -> tuple[bytes, dict[str, str]]:
    """FAL's own four headers over this very body, with the request id it names (or a fresh one), and
    one part of it tampered with when `tamper` says so."""
    try:
        named = msgspec.json.decode(body).get("request_id")  # as the code under test reads it
    except (ValueError, AttributeError, RecursionError):
        named = None
    request_id = named if isinstance(named, str) and named.strip() else str(uuid.uuid4())
    stamp = int(time.time()) - (400 if tamper == "timestamp" else 0)
    headers = functions.fal_keys.headers(request_id, body, timestamp=stamp)
    if tamper == "signature":
        headers["X-Fal-Webhook-Signature"] = headers["X-Fal-Webhook-Signature"][::-1]
    elif tamper == "request_id":
        headers["X-Fal-Webhook-Request-Id"] = str(uuid.uuid4())
    return (body + b" " if tamper == "body" else body), headers


def _event(functions: Functions, route: str, body: bytes, headers: dict[str, str], sign: bool, tamper: str | None,
           secret: bool, as_base64: bool, query: dict[str, str]) -> dict[str, Any]:
    method, path = ROUTES[route]
    if sign:
        body, signed = _signed(functions, body, tamper)
        headers = {**headers, **signed}
    if secret:
        headers = {**headers, "X-Telegram-Bot-Api-Secret-Token": functions.env["TELEGRAM_WEBHOOK_SECRET"]}
    event = api_gateway_post(path, b"", headers)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["queryStringParameters"] = query or None
    if as_base64 or not _is_utf8(body):  # API Gateway passes a body that is not text as base64
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = body.decode(), False
    return event


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _check(route: str, answer: dict[str, Any]) -> None:
    status = answer["statusCode"]
    assert status < 500, (status, answer.get("body", "")[:300])
    if status >= 400:
        assert answer["headers"]["Content-Type"] == "application/json"
        error = json.loads(answer["body"])
        assert error["error"] == error["code"] and error["code"] in STABLE_CODES, error
        assert isinstance(error["message"], str)
    elif route not in ("health", "metrics"):
        assert json.loads(answer["body"])["ok"] is True


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_no_input_makes_a_5xx_and_every_error_is_json_with_a_stable_code(functions: Functions, route: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(body=BODIES[route],
           headers=st.dictionaries(st.sampled_from(FAL_HEADERS + OTHER_HEADERS), header_text, max_size=5),
           sign=st.sampled_from([True, True, False]), tamper=st.sampled_from(TAMPER), secret=st.booleans(),
           as_base64=st.booleans(),
           query=st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3))
    def deliver(body: bytes, headers: dict[str, str], sign: bool, tamper: str | None, secret: bool, as_base64: bool,
                query: dict[str, str]) -> None:
        event = _event(functions, route, body, headers, sign, tamper, secret, as_base64, query)
        _check(route, functions.call(route, event))

    # One accepted delivery first: the function's connection pool fills now, not while Hypothesis draws
    # (psycopg_pool's threads draw each new connection's lifetime from the global `random`, which
    # Hypothesis reports as a strategy using `random`).
    accepted = _event(functions, route, _accepted(route), {}, True, None, True, False, {})
    answer = functions.call(route, accepted)
    assert answer["statusCode"] == 200, answer.get("body")
    deliver()
