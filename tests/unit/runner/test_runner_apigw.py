"""API Gateway v1 proxy event and response conversion (pure functions)."""

from __future__ import annotations

import base64
import json

from local_runner.apigw import HttpRequest, from_proxy_response, to_event
from local_runner.manifest import DEFAULT_BINARY_MEDIA_TYPES, Route
from local_runner.routes import Match

EVENT_KEYS = {"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
              "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
              "isBase64Encoded"}
CONTEXT_KEYS = {"requestId", "stage", "resourcePath", "httpMethod", "path", "requestTimeEpoch", "identity",
                "accountId", "apiId", "domainName"}


def event(body: bytes = b"", headers: list[tuple[str, str]] | None = None, query=()) -> dict:  # type: ignore[no-untyped-def]
    req = HttpRequest("POST", "/items/7", list(query), headers or [("Host", "api.example.com")], body,
                      peer="10.0.0.9", received=1_700_000_000.5)
    match = Match("f", Route("POST", "/items/{id}"), {"id": "7"})
    return to_event(req, match, stage="api", request_id="rid-1", account_id="123456789012", app_name="app",
                    binary_types=DEFAULT_BINARY_MEDIA_TYPES)


def test_every_field_is_present() -> None:
    ev = event(query=[("a", "1"), ("a", "2"), ("b", "x")],
               headers=[("Host", "api.example.com"), ("X-Forwarded-For", "203.0.113.5, 10.0.0.1"),
                        ("User-Agent", "ua/1"), ("Accept", "a"), ("Accept", "b")])
    assert EVENT_KEYS <= set(ev)
    assert CONTEXT_KEYS <= set(ev["requestContext"])
    assert ev["resource"] == "/items/{id}" and ev["path"] == "/items/7" and ev["httpMethod"] == "POST"
    assert ev["queryStringParameters"] == {"a": "2", "b": "x"}
    assert ev["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert ev["headers"]["Accept"] == "b" and ev["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert ev["pathParameters"] == {"id": "7"} and ev["stageVariables"] is None
    ctx = ev["requestContext"]
    # the peer is no trusted proxy (none are by default): its X-Forwarded-For is not believed
    assert ctx["identity"]["sourceIp"] == "10.0.0.9" and ctx["identity"]["userAgent"] == "ua/1"
    assert ctx["stage"] == "api" and ctx["path"] == "/api/items/7" and ctx["requestId"] == "rid-1"
    assert ctx["requestTimeEpoch"] == 1_700_000_000_500 and ctx["domainName"] == "api.example.com"
    assert ctx["accountId"] == "123456789012" and len(ctx["apiId"]) == 10
    assert ev["body"] is None and ev["isBase64Encoded"] is False


def test_source_ip_without_forwarding_and_empty_query() -> None:
    ev = event()
    assert ev["requestContext"]["identity"]["sourceIp"] == "10.0.0.9"
    assert ev["queryStringParameters"] is None and ev["multiValueQueryStringParameters"] is None


def test_text_and_binary_bodies() -> None:
    text = event(b'{"a": 1}', [("Content-Type", "application/json")])
    assert text["body"] == '{"a": 1}' and text["isBase64Encoded"] is False
    raw = b"\x89PNG\x00\xff"
    binary = event(raw, [("Content-Type", "image/png")])
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == raw
    # not a binary media type: text, as API Gateway passes it (bytes that are not UTF-8 replaced)
    invalid_utf8 = event(b"ok\xff", [("Content-Type", "text/plain")])
    assert invalid_utf8["isBase64Encoded"] is False and invalid_utf8["body"] == "ok\ufffd"


def test_proxy_response_headers_and_base64() -> None:
    resp = from_proxy_response(json.dumps({
        "statusCode": 201, "headers": {"X-A": "1", "Set-Cookie": "ignored"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}).encode(),
        "application/octet-stream", DEFAULT_BINARY_MEDIA_TYPES)
    assert resp is not None and resp.status == 201 and resp.body == b"\x00\x01"
    assert [v for k, v in resp.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("X-A", "1") in resp.headers and ("Content-Type", "application/json") in resp.headers


def test_malformed_proxy_responses() -> None:
    for bad in [b"not json", b'"text"', b'{"body": "x"}', b'{"statusCode": "200"}', b'{"statusCode": 700}',
                b'{"statusCode": 200, "body": {"a": 1}}', b'{"statusCode": 200, "extra": 1}',
                b'{"statusCode": 200, "body": "!!", "isBase64Encoded": true}',
                b'{"statusCode": 200, "headers": {"a": [1]}}']:
        assert from_proxy_response(bad) is None, bad
