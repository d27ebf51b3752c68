"""Lambda-exact edges through a real runner: sourceIp, API Gateway's 502/504, binary media types, the
control plane through boto3, the Event payload limit, malformed settings, metrics without `_created`."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from tests.integration.runner.runner_harness import COLLECTION, ROOT, RunningServer


def source_ip(server: RunningServer, forwarded: str) -> str:
    resp = server.http.get("/echo", headers={"X-Forwarded-For": forwarded})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["event"]["requestContext"]["identity"]["sourceIp"])


def test_a_spoofed_forwarded_for_does_not_reach_source_ip(server: RunningServer) -> None:
    assert source_ip(server, "198.51.100.7") == "127.0.0.1"  # no trusted proxies by default


def test_forwarded_for_from_a_trusted_proxy(start_server: Callable[..., RunningServer]) -> None:
    server = start_server(env={"RUNNER_TRUSTED_PROXIES": "127.0.0.1"})
    assert source_ip(server, "198.51.100.7") == "198.51.100.7"
    assert source_ip(server, "203.0.113.1, 198.51.100.7") == "198.51.100.7"  # the client's own value is left
    assert source_ip(server, "<script>alert(1)</script>") == "127.0.0.1"
    assert source_ip(server, "198.51.100.7:443") == "127.0.0.1"


def test_failed_function_answers_api_gateways_502_only(server: RunningServer) -> None:
    resp = server.http.get("/raise")
    assert resp.status_code == 502 and resp.content == b'{"message": "Internal server error"}'
    assert resp.headers["content-type"] == "application/json" and resp.headers["x-amzn-RequestId"]
    # the details are the operator's: in the log and in the Invoke API's answer
    assert "customer function error: FixtureError: boom from the raiser" in server.log()
    assert server.lambda_client().invoke(FunctionName="raiser")["FunctionError"] == "Unhandled"


def test_integration_timeout_is_504(start_server: Callable[..., RunningServer]) -> None:
    server = start_server(env={"RUNNER_API_TIMEOUT": "1"})
    # warm first through the Invoke API (no integration timeout there): a cold start under load may take 1 s
    assert "FunctionError" not in server.lambda_client().invoke(FunctionName="victim", Payload=b'{"sleep": 0}')
    resp = server.http.get("/victim", params={"sleep": "3"})  # its own timeout is 30 s
    assert resp.status_code == 504 and resp.json() == {"message": "Endpoint request timed out"}


def test_binary_media_types_both_directions(server: RunningServer) -> None:
    raw = bytes(range(256))
    ev = server.http.put("/echo/up", content=raw, headers={"Content-Type": "image/png"}).json()["event"]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == raw
    ev = server.http.put("/echo/up", content=b"plain \xff", headers={"Content-Type": "text/csv"}).json()["event"]
    assert ev["isBase64Encoded"] is False and ev["body"] == "plain \ufffd"
    binary = server.http.get("/echo/binary", headers={"Accept": "application/octet-stream, */*"})
    assert binary.content == b"\x00\x01\xff"
    text = server.http.get("/echo/binary", headers={"Accept": "text/html, application/octet-stream"})
    assert text.content == base64.b64encode(b"\x00\x01\xff")


def test_manifest_binary_media_types(start_server: Callable[..., RunningServer],
                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    manifest = json.loads((COLLECTION / "chalice.json").read_text())
    manifest["stages"]["dev"]["binary_media_types"] = ["*/*"]
    home = tmp_path_factory.mktemp("binary")
    (home / "chalice.json").write_text(json.dumps(manifest))
    for name in ("functions", "layers"):
        (home / name).symlink_to(COLLECTION / name)
    server = start_server(manifest=home / "chalice.json")
    ev = server.http.post("/echo", content=b'{"a": 1}', headers={"Content-Type": "application/json"}).json()["event"]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b'{"a": 1}'
    assert server.http.get("/echo/binary", headers={"Accept": "text/html"}).content == b"\x00\x01\xff"


def test_control_plane_through_boto3(server: RunningServer) -> None:
    client = server.lambda_client()
    config = client.get_function_configuration(FunctionName="echo")
    assert config["FunctionName"] == "echo" and config["Handler"] == "app.handler"
    assert config["Timeout"] == 5 and config["MemorySize"] == 256 and config["Version"] == "$LATEST"
    assert config["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert config["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert config["CodeSize"] > 0 and config["State"] == "Active" and "Environment" not in config
    assert [layer["Arn"].split(":")[-2] for layer in config["Layers"]] == ["shared"]
    full = client.get_function(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:single")
    assert full["Configuration"]["FunctionName"] == "single"
    assert full["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    names = [f["FunctionName"] for page in client.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 3}) for f in page["Functions"]]
    manifest = json.loads((COLLECTION / "chalice.json").read_text())
    assert names == sorted(manifest["functions"]) and len(names) > 3
    with pytest.raises(ClientError) as missing:
        client.get_function(FunctionName="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_other_control_plane_calls_are_refused_by_name(server: RunningServer) -> None:
    client = server.lambda_client()
    calls = {
        "DeleteFunction": lambda: client.delete_function(FunctionName="echo"),
        "GetAccountSettings": client.get_account_settings,
        "PutFunctionConcurrency": lambda: client.put_function_concurrency(FunctionName="echo",
                                                                          ReservedConcurrentExecutions=1),
    }
    for operation, call in calls.items():
        with pytest.raises(ClientError) as info:
            call()
        error = info.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
        assert error["Error"]["Code"] == "NotImplementedException" and operation in error["Error"]["Message"]
    assert server.http.get("/echo").status_code == 200  # nothing of the function changed


def test_oversized_event_payload_is_refused(server: RunningServer) -> None:
    client = server.lambda_client()
    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName="echo", InvocationType="Event", Payload=b'"' + b"x" * (1024 * 1024) + b'"')
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert "too large for the Event invocation type (limit 1048576 bytes)" in error["Error"]["Message"]
    # the same payload is fine synchronously (6 MB)
    assert client.invoke(FunctionName="echo", Payload=b'"' + b"x" * (1024 * 1024) + b'"')["StatusCode"] == 200


def test_a_malformed_runner_variable_names_itself() -> None:
    done = subprocess.run([sys.executable, "-m", "local_runner", "--manifest", str(COLLECTION / "chalice.json"),
                           "serve", "--port", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "RUNNER_IDLE_TIMEOUT": "five minutes"})
    assert done.returncode == 2
    assert "RUNNER_IDLE_TIMEOUT='five minutes' is not valid: expected seconds" in done.stderr


def test_metrics_without_created_series(server: RunningServer) -> None:
    server.http.get("/echo")
    text = server.http.get("/_runner/metrics").text
    assert 'runner_invocations_total{function="echo",outcome="success"}' in text and "_created" not in text
