"""Lambda's Invoke API: `POST /2015-03-31/functions/{name}/invocations`, as boto3's lambda client calls it.

- RequestResponse: 200 with the function's answer; `X-Amz-Function-Error: Unhandled` when it failed;
  `X-Amz-Executed-Version: $LATEST`; `X-Amz-Log-Result` (base64 of the last 4 KB) with `X-Amz-Log-Type: Tail`.
- Event: 202 once the event is durably queued (needs a Redis URL); DryRun: 204 when the function exists.
- Errors as Lambda's (`x-amzn-ErrorType` + `{"Type": "User", "message"}`): 404 ResourceNotFoundException,
  400 InvalidRequestContentException, 413 RequestEntityTooLargeException (over 6 MB for RequestResponse,
  over 1 MB, Lambda's asynchronous limit since 2025, for Event), 429 TooManyRequestsException.
`{name}` may be a name, a partial or a full ARN; the only qualifier served is `$LATEST`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Protocol
from urllib.parse import unquote

from local_runner import ids
from local_runner.apigw import HttpRequest, HttpResponse, error_response
from local_runner.errors import FunctionNotFound, InvokeError, Throttled
from local_runner.manifest import Manifest
from local_runner.runner import Runner

log = logging.getLogger("local_runner.invoke_api")


class EventSink(Protocol):
    async def enqueue(self, function_name: str, payload: bytes, request_id: str) -> None: ...


def function_name(raw: str, qualifier: str | None) -> tuple[str, str | None]:
    """'name', 'name:qual', '123:function:name', 'arn:aws:lambda:r:123:function:name[:qual]'."""
    parts = raw.split(":")
    if parts[0] == "arn" and len(parts) >= 7:
        name, qual = parts[6], parts[7] if len(parts) > 7 else None
    elif len(parts) >= 3 and parts[1] == "function":
        name, qual = parts[2], parts[3] if len(parts) > 3 else None
    else:
        name, qual = parts[0], parts[1] if len(parts) > 1 else None
    return name, qual or qualifier


def lambda_error(exc: InvokeError, arn: str | None = None) -> HttpResponse:
    body: dict[str, str] = {"Type": "User", "message": str(exc)}
    headers = [("x-amzn-ErrorType", exc.code), ("x-amzn-RequestId", ids.request_id())]
    if isinstance(exc, FunctionNotFound) and arn:
        body["message"] = f"Function not found: {arn}"
    if isinstance(exc, Throttled):
        body.update(message="Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
        headers.append(("Retry-After", str(exc.retry_after)))
    return error_response(exc.status, body, headers)


def client_error(status: int, code: str, message: str) -> HttpResponse:
    """A Lambda API error as the Invoke API and the control plane answer it (a caller's mistake)."""
    return error_response(status, {"Type": "User", "message": message},
                          [("x-amzn-ErrorType", code), ("x-amzn-RequestId", ids.request_id())])


def _client_context(request: HttpRequest) -> str | None:
    """X-Amz-Client-Context is base64 of a JSON object (boto3's ClientContext)."""
    raw = request.header("X-Amz-Client-Context")
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, ValueError):
        return None


class InvokeApi:
    def __init__(self, runner: Runner, manifest: Manifest, events: EventSink | None) -> None:
        self.runner = runner
        self.manifest = manifest
        self.events = events

    async def handle(self, request: HttpRequest, raw_name: str) -> HttpResponse:
        """`raw_name`: the path's `{name}` segment as sent."""
        name, qualifier = function_name(unquote(raw_name), request.query_value("Qualifier"))
        arn = self.runner.arn(name)
        kind = request.header("X-Amz-Invocation-Type") or "RequestResponse"
        try:
            if name not in self.manifest.functions or qualifier not in (None, "$LATEST"):
                raise FunctionNotFound(name)
            config = self.runner.config
            limit = config.max_event_bytes if kind == "Event" else config.max_body_bytes
            payload = None if request.too_large else request.body
            if payload is None or len(payload) > limit:
                size = request.content_length or limit + 1
                return client_error(413, "RequestEntityTooLargeException",
                                     f"{size} byte payload is too large for the {kind} invocation type "
                                     f"(limit {limit} bytes)")
            if payload.strip():
                try:
                    json.loads(payload)
                except ValueError as exc:
                    return client_error(400, "InvalidRequestContentException",
                                         f"Could not parse request body into json: {exc}")
            else:
                payload = b"{}"
            if kind == "DryRun":
                return HttpResponse(204, [("x-amzn-RequestId", ids.request_id())], b"")
            if kind == "Event":
                return await self._event(name, payload)
            if kind != "RequestResponse":
                return client_error(400, "InvalidParameterValueException",
                                     f"Unsupported X-Amz-Invocation-Type: {kind}")
            result = await self.runner.invoke(name, payload, client_context=_client_context(request))
        except InvokeError as exc:
            return lambda_error(exc, arn)
        headers = [("X-Amz-Executed-Version", "$LATEST"), ("x-amzn-RequestId", result.request_id),
                   ("Content-Type", "application/json")]
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        if request.header("X-Amz-Log-Type") == "Tail":
            headers.append(("X-Amz-Log-Result", base64.b64encode(result.log_tail.encode()[-4096:]).decode()))
        return HttpResponse(200, headers, result.payload)

    async def _event(self, name: str, payload: bytes) -> HttpResponse:
        if self.events is None:
            return error_response(
                503, {"Type": "Service", "message": "Event invocations need a Redis URL (REDIS_URL or --redis-url)"},
                [("x-amzn-ErrorType", "ServiceException")])
        request_id = ids.request_id()
        try:
            await self.events.enqueue(name, payload, request_id)
        except Exception as exc:  # the queue's store is down (Redis restarting): not queued, the caller retries
            log.warning("cannot queue an Event for %s: %s", name, exc)
            return error_response(503, {"Type": "Service", "message": "The event queue is unavailable; try again"},
                                  [("x-amzn-ErrorType", "ServiceException"), ("x-amzn-RequestId", request_id),
                                   ("Retry-After", "1")])
        return HttpResponse(202, [("x-amzn-RequestId", request_id)], b"")
