"""Through the HTTP front: API Gateway proxy events, context, isolation and the error answers."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.integration.runner.runner_harness import RunningServer


def echo(server: RunningServer, path: str = "/echo", **kwargs: Any) -> dict[str, Any]:
    resp = server.http.request(kwargs.pop("method", "GET"), path, **kwargs)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_event_fields(server: RunningServer) -> None:
    body = echo(server, "/echo/a%20b/c?x=1&x=2&y=z", method="POST", content=b'{"k": "v"}',
                headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7, 10.1.1.1",
                         "User-Agent": "tests/1"})
    ev = body["event"]
    assert ev["resource"] == "/echo/{proxy+}" and ev["httpMethod"] == "POST"
    assert ev["path"] == "/echo/a b/c" and ev["pathParameters"] == {"proxy": "a b/c"}
    assert ev["queryStringParameters"] == {"x": "2", "y": "z"}
    assert ev["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["z"]}
    assert ev["headers"]["User-Agent"] == "tests/1" and ev["multiValueHeaders"]["User-Agent"] == ["tests/1"]
    assert ev["body"] == '{"k": "v"}' and ev["isBase64Encoded"] is False and ev["stageVariables"] is None
    ctx = ev["requestContext"]
    # no trusted proxies configured: the TCP peer, never the client's own X-Forwarded-For
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["userAgent"] == "tests/1"
    assert ctx["stage"] == "api" and ctx["resourcePath"] == "/echo/{proxy+}" and ctx["httpMethod"] == "POST"
    for key in ("requestId", "requestTimeEpoch", "accountId", "apiId", "domainName", "path"):
        assert ctx[key], key


def test_context_and_environment(server: RunningServer) -> None:
    body = echo(server)
    ctx, env = body["context"], body["env"]
    assert ctx["function_name"] == "echo" and ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["log_group_name"] == "/aws/lambda/echo" and "[$LATEST]" in ctx["log_stream_name"]
    assert 4000 < ctx["remaining_ms"] <= 5000  # counts down to the 5 s timeout
    assert len(ctx["aws_request_id"]) == 36
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["_HANDLER"] == "app.handler"
    assert env["GREETING"] == "hello" and env["STAGE"] == "dev" and env["STAGE_FN"] == "dev-echo"
    assert env["FROM_RUNNER"] == "from-the-runner-env" and env["AWS_REGION"] == "us-east-1"
    assert env["LAMBDA_ENDPOINT_URL"] == server.url


def test_import_path_is_function_layers_and_runtime_only(server: RunningServer) -> None:
    body = echo(server)
    paths = body["sys_path"]
    assert body["layer"] == "shared-layer"
    assert paths[0].endswith("functions/echo")
    assert not any("site-packages" in p and ".venv" in p for p in paths), paths
    assert not any(p.rstrip("/").endswith("site-packages") and "layers" not in p for p in paths), paths


def test_binary_request_and_response_bodies(server: RunningServer) -> None:
    raw = bytes(range(256))
    ev = echo(server, "/echo/upload", method="PUT", content=raw,
              headers={"Content-Type": "application/octet-stream"})["event"]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == raw
    resp = server.http.get("/echo/binary", headers={"Accept": "application/octet-stream"})
    assert resp.status_code == 200 and resp.content == b"\x00\x01\xff"
    assert resp.headers["content-type"] == "application/octet-stream"
    as_text = server.http.get("/echo/binary", headers={"Accept": "*/*"})  # not a binary media type
    assert as_text.status_code == 200 and as_text.content == base64.b64encode(b"\x00\x01\xff")


def test_response_headers_and_multi_value_headers(server: RunningServer) -> None:
    resp = server.http.get("/echo")
    assert resp.headers["X-Echo"] == "1"
    assert resp.headers.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert resp.headers["x-amzn-RequestId"]


def test_chalice_app_with_path_parameters(server: RunningServer) -> None:
    resp = server.http.get("/items/abc-42?q=1")
    assert resp.status_code == 200 and resp.json() == {"item_id": "abc-42", "q": {"q": "1"}, "stage": "api"}
    resp = server.http.post("/items", json={"name": "x"})
    assert resp.status_code == 200 and resp.json() == {"created": {"name": "x"}}


def test_unknown_route_and_method_get_api_gateway_403(server: RunningServer) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/items/1")):
        resp = server.http.request(method, path)
        assert resp.status_code == 403 and resp.json() == {"message": "Missing Authentication Token"}
        assert resp.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_malformed_proxy_response_is_502(server: RunningServer) -> None:
    resp = server.http.get("/echo/malformed")
    assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}
    assert "Malformed Lambda proxy response" in server.log()


def test_unhandled_exception_is_api_gateways_502_with_the_stack_in_the_log(server: RunningServer) -> None:
    resp = server.http.get("/raise")
    assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}
    log = server.log()
    assert "customer function error: FixtureError: boom from the raiser. Lambda request id: " in log
    assert "Traceback (most recent call last)" in log and 'raise FixtureError(\\"boom from the raiser\\")' in log


def test_oversized_body_is_413_json(server: RunningServer) -> None:
    resp = server.http.post("/echo", content=b"x" * (6 * 1024 * 1024 + 10))
    assert resp.status_code == 413 and resp.json() == {"message": "Request Too Long"}


def test_missing_package_fails_like_lambda(server: RunningServer) -> None:
    resp = server.http.get("/missing")
    assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}
    body = json.loads(server.lambda_client().invoke(FunctionName="missing", Payload=b"{}")["Payload"].read())
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'app': No module named 'aiohttp'"


def test_json_logs_with_start_end_report(server: RunningServer) -> None:
    server.http.get("/echo", params={"marker": "1"})
    records = [r for r in server.log_records() if r.get("function") == "echo"]
    messages = [r["message"] for r in records]
    assert any(m.startswith("START RequestId: ") for m in messages)
    assert any(m.startswith("END RequestId: ") for m in messages)
    reports = [m for m in messages if m.startswith("REPORT RequestId: ")]
    assert reports and all("Billed Duration:" in m and "Max Memory Used:" in m for m in reports)
    assert any("Init Duration:" in m for m in reports)  # the first one was a cold start
    assert all(r.get("request_id") for r in records if r["message"].startswith(("START", "END", "REPORT")))
    json.dumps(records)
