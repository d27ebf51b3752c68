"""The Invoke API through boto3's own lambda client: RequestResponse, DryRun, Event, errors."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.runner.runner_harness import RunningServer, wait_until


def test_request_response_with_log_tail(server: RunningServer) -> None:
    resp = server.lambda_client().invoke(FunctionName="echo", Payload=json.dumps({"print": "tail-me"}),
                                         LogType="Tail")
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp and resp["ExecutedVersion"] == "$LATEST"
    body = json.loads(resp["Payload"].read())
    assert body["event"] == {"print": "tail-me"} and body["context"]["function_name"] == "echo"
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "tail-me" in tail and "\nREPORT RequestId: " in tail
    assert body["context"]["aws_request_id"] in tail


def test_client_context_and_oversized_response(server: RunningServer) -> None:
    context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    resp = server.lambda_client().invoke(FunctionName="echo", Payload=b"{}", ClientContext=context)
    assert json.loads(resp["Payload"].read())["context"]["client_custom"] == {"tenant": "t1"}
    resp = server.lambda_client().invoke(FunctionName="echo", Payload=b'{"big": true}')
    body = json.loads(resp["Payload"].read())
    assert resp["FunctionError"] == "Unhandled" and body["errorType"] == "Function.ResponseSizeTooLarge"


def test_unhandled_error(server: RunningServer) -> None:
    resp = server.lambda_client().invoke(FunctionName="raiser", Payload=b"{}")
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    body = json.loads(resp["Payload"].read())
    assert body["errorType"] == "FixtureError" and body["errorMessage"] == "boom from the raiser"
    assert body["stackTrace"]


def test_missing_package_is_runtime_import_module_error(server: RunningServer) -> None:
    resp = server.lambda_client().invoke(FunctionName="missing")
    body = json.loads(resp["Payload"].read())
    assert resp["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
    assert "No module named 'aiohttp'" in body["errorMessage"]


def test_dry_run_and_names_as_arns(server: RunningServer) -> None:
    client = server.lambda_client()
    assert client.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204
    arn = "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert client.invoke(FunctionName=arn, Payload=b"{}")["StatusCode"] == 200
    assert client.invoke(FunctionName="echo", Qualifier="$LATEST", Payload=b"{}")["StatusCode"] == 200


def test_client_errors(server: RunningServer) -> None:
    client = server.lambda_client()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="nope", Payload=b"{}")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="nope", InvocationType="DryRun")
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="echo", Payload=b"{not json")
    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName="echo", Payload=json.dumps({"x": "y" * (6 * 1024 * 1024)}))
    assert info.value.response["Error"]["Code"] == "RequestEntityTooLargeException"


def test_throttle_through_invoke_api(server: RunningServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client = server.lambda_client()
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(server.http.get, "/single", params={"sleep": "1.5"})
        server.wait_busy("single")
        with pytest.raises(client.exceptions.TooManyRequestsException) as info:
            client.invoke(FunctionName="single", Payload=b"{}")
        assert busy.result().status_code == 200
    assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"


def test_event_without_redis_is_refused_clearly(server: RunningServer) -> None:
    raw = server.http.post("/2015-03-31/functions/echo/invocations", content=b"{}",
                           headers={"X-Amz-Invocation-Type": "Event"})
    assert raw.status_code == 503 and "Redis" in raw.json()["message"]


def test_event_is_queued_and_run(start_server: Any, services: dict[str, str]) -> None:
    prefix = f"test:runner:{uuid.uuid4().hex[:8]}"
    server = start_server(env={"REDIS_URL": services["REDIS_URL"], "RUNNER_EVENTS_PREFIX": prefix})
    assert server.http.get("/_runner/ready").json()["redis"] is True
    marker = f"event-{uuid.uuid4().hex}"
    resp = server.lambda_client().invoke(FunctionName="echo", InvocationType="Event",
                                         Payload=json.dumps({"print": marker}))
    assert resp["StatusCode"] == 202
    wait_until(lambda: marker in server.log(), 20, "the queued event's output in the log")
