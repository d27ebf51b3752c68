"""The edge over real HTTP: nginx (the project's template) in front of the stack's two runner instances on the
real chalice.json. Hostile deliveries are refused with JSON and a stable code and stored bounded; a short
property-based fuzz of every public route finds no 5xx (the long fuzz runs in-process:
tests/functional/test_edge_fuzz.py)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.devservices.procs import free_port
from infra.nginx import NginxProcess, NginxSettings
from tests import web
from tests.raw_http import exchange

pytestmark = pytest.mark.e2e
ROUTES = [("POST", "/webhook/fal/status"), ("POST", "/webhook/fal/portrait"), ("POST", "/webhook/telegram"),
          ("GET", "/health"), ("GET", "/metrics")]
KEEP = 4096


@pytest.fixture(scope="module")
def edge(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    upstreams = [url.removeprefix("http://") for url in stack.urls]
    nginx = NginxProcess(NginxSettings(prefix=tmp_path_factory.mktemp("edge-nginx"),
                                       listen=f"127.0.0.1:{free_port()}", upstreams=upstreams))
    nginx.start()
    try:
        yield nginx.url
    finally:
        nginx.stop()


def _json_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body: dict[str, Any] = response.json()
    assert isinstance(body["code"], str) and isinstance(body["message"], str)
    return body


def _journal(stack: Any, digests: list[str]) -> list[dict[str, Any]]:
    with psycopg.connect(stack.env["DATABASE_URL"], row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT status, error_code, length(body) AS kept, body_size FROM webhook_events "
                            "WHERE body_sha256 = ANY(%s)", (digests,)).fetchall()


def test_hostile_deliveries_over_http_are_refused_with_json_and_stored_bounded(stack: Any, edge: str) -> None:
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + uuid.uuid4().hex.encode()
    with web.client(base_url=edge, timeout=30) as http:
        answer = http.post("/webhook/fal/status", content=deep, headers={"Content-Type": "application/json"})
        assert (answer.status_code, _json_error(answer)["code"]) == (400, "missing_header")

        request_id = str(uuid.uuid4())
        body = json.dumps({"request_id": request_id, "status": "OK", "payload": {}}).encode()
        headers = {**stack.fal.core.keys.sign(body, request_id, "sandbox-user"), "X-Fal-Webhook-Timestamp": "9" * 401}
        answer = http.post("/webhook/fal/portrait", content=body, headers=headers)
        assert (answer.status_code, _json_error(answer)["code"]) == (401, "stale_timestamp")

        answer = http.post("/webhook/telegram", content=b"x" * (7 * 1024 * 1024))  # over nginx's 6 MB
        assert (answer.status_code, _json_error(answer)["code"]) == (413, "RequestEntityTooLarge")

        # text, as the flood that once added 104 MB (a binary type would reach the function as base64, and
        # 5 MB of it is over Lambda's 6 MB event: the runner's own 413, as API Gateway answers)
        flood = [uuid.uuid4().hex.encode() + b"x" * (5 * 1024 * 1024) for _ in range(20)]
        for payload in flood:
            answer = http.post("/webhook/fal/status", content=payload, headers={"Content-Type": "application/json"})
            assert (answer.status_code, _json_error(answer)["code"]) == (400, "missing_header")
    rows = _journal(stack, [hashlib.sha256(deep).hexdigest()] + [hashlib.sha256(p).hexdigest() for p in flood])
    assert len(rows) == 21 and {r["status"] for r in rows} == {"rejected"}
    assert sum(r["kept"] for r in rows) == 21 * KEEP  # 86 KB, where the bodies were over 100 MB
    assert sum(r["body_size"] for r in rows) > 100 * 1024 * 1024


def test_nginx_answers_a_request_it_cannot_parse_with_json(edge: str) -> None:
    port = int(edge.rsplit(":", 1)[1])
    trace = b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for request, status in ((b"GARBAGE\r\n\r\n", 400), (trace, 405)):
        got, head, body = exchange(port, request)
        assert got == status and b"application/json" in head
        assert json.loads(body)["code"]


ascii_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
bodies = st.one_of(st.binary(max_size=2000), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10).map(lambda v: json.dumps(v).encode()))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), body=bodies,
       headers=st.dictionaries(st.sampled_from(["X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id",
                                                "X-Fal-Webhook-Timestamp", "X-Fal-Webhook-Signature", "Content-Type",
                                                "X-Telegram-Bot-Api-Secret-Token"]), ascii_text, max_size=4),
       forged=st.booleans(), query=st.dictionaries(ascii_text, ascii_text, max_size=2))
def test_a_short_fuzz_through_nginx_and_the_runners_finds_no_5xx(stack: Any, edge: str, route: tuple[str, str],
                                                                   body: bytes, headers: dict[str, str], forged: bool,
                                                                   query: dict[str, str]) -> None:
    """Nothing here is a valid delivery (a signed one has a wrong timestamp), so nothing is processed and the
    other tests of the stack see no extra work; the in-process fuzz covers accepted deliveries."""
    method, path = route
    if forged:
        headers = {**headers, **stack.fal.core.keys.sign(body, str(uuid.uuid4()), "sandbox-user",
                                                         int(time.time()) - 3600)}
    answer = web.request(method, edge + path, content=body, headers=headers, params=query, timeout=30)
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        _json_error(answer)
