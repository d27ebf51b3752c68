"""The HTTP front: API Gateway routes, the Invoke API and the runner's own endpoints, behind one server.

API Gateway answers reproduced (REST API, proxy integration):
- no resource/method for the request: 403 {"message": "Missing Authentication Token"} (what API Gateway
  REST sends for an unknown path or method; chosen over 404 so a client sees what it would on AWS);
- body over the limit: 413 {"message": "Request Too Long"};
- concurrency exhausted after the bounded wait: 429 {"message": "Too Many Requests"} with Retry-After;
- the 29 s integration timeout passed: 504 {"message": "Endpoint request timed out"};
- the function failed, including its own timeout before those 29 s (a function error to API Gateway, as
  AWS documents for Lambda proxy integrations), or answered a malformed proxy response:
  502 {"message": "Internal server error"} and nothing more; errorType and errorMessage stay in the log
  (an API Gateway-like execution line) and in the Invoke API's answer.
Lambda's control plane: GetFunction, GetFunctionConfiguration, ListFunctions from the manifest; any other
call under a Lambda API version path is refused with 501 naming the operation (see control_api).
`/_runner/health` (alive), `/_runner/ready` (workers spawnable, Redis reachable when configured, not
draining) and `/_runner/metrics` (Prometheus text) are the runner's own.

The HTTP server below it (local_runner/http_server.py) parses, frames, keeps connections alive and drains;
`Front.serve` is the whole of what a request does, socket-free: `/_runner/*`, the Invoke API and the control
plane by path, everything else matched against the API Gateway routes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST

from local_runner import control_api, ids
from local_runner.apigw import HttpRequest, HttpResponse, error_response, from_proxy_response, to_event
from local_runner.errors import RequestTooLarge, Throttled
from local_runner.invoke_api import EventSink, InvokeApi
from local_runner.routes import RouteMatcher
from local_runner.runner import Runner
from local_runner.waits import first_done

log = logging.getLogger("local_runner.http")
ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


class Front:
    def __init__(self, runner: Runner, *, events: EventSink | None = None, api_timeout: float = 29.0,
                 extra_ready: ReadyCheck | None = None) -> None:
        self.runner = runner
        self.manifest = runner.manifest
        self.matcher = RouteMatcher.from_functions((f.name, f.routes) for f in self.manifest.functions.values())
        self.invoke_api = InvokeApi(runner, self.manifest, events)
        self.control_api = control_api.ControlApi(runner)
        self.api_timeout = api_timeout
        self.extra_ready = extra_ready
        self.draining = False
        self._own = {"/_runner/health": self.health, "/_runner/ready": self.ready, "/_runner/metrics": self.metrics}

    async def serve(self, req: HttpRequest) -> HttpResponse:
        """Any request the server parsed -> its answer."""
        try:
            method = req.method
            if method in ("GET", "HEAD") and req.path in self._own:
                return await self._own[req.path]()
            if method == "POST" and (m := _INVOKE.match(req.path)):
                return await self.invoke_api.handle(req, m.group(1))
            if method in ("GET", "HEAD") and (found := self.control_api.route(req)) is not None:
                return found
            return await self.api(req)
        finally:
            self.runner.sink.flush()  # the log lines of this request are out before its answer

    # -- the runner's own endpoints ---------------------------------------------------------------------
    async def health(self) -> HttpResponse:
        return HttpResponse(200, [("Content-Type", "application/json")], b'{"status": "ok"}')

    async def ready(self) -> HttpResponse:
        checks: dict[str, Any] = {"workers": self.runner.workers_spawnable(), "draining": self.draining}
        if self.extra_ready is not None:
            checks.update(await self.extra_ready())
        ok = checks["workers"] and not self.draining and all(v for k, v in checks.items() if k not in ("draining",))
        return error_response(200 if ok else 503, {"ready": ok, **checks})

    async def metrics(self) -> HttpResponse:
        return HttpResponse(200, [("Content-Type", CONTENT_TYPE_LATEST)], self.runner.metrics.render())

    # -- API Gateway --------------------------------------------------------------------------------------
    async def api(self, req: HttpRequest) -> HttpResponse:
        if req.too_large:
            resp = error_response(413, {"message": "Request Too Long"})
        else:
            resp = await self.handle(req)
        metrics = self.runner.metrics
        metrics.child(metrics.http_requests, "api", str(resp.status)).inc()
        return resp

    async def handle(self, req: HttpRequest) -> HttpResponse:
        """Request -> route -> event -> invoke -> response; no socket here (the test client reuses it)."""
        request_id = ids.request_id()
        rid_header = [("x-amzn-RequestId", request_id)]
        match = self.matcher.match(req.method, req.raw_path or req.path)
        if match is None:
            if control_api.is_control_plane(req.path):
                return control_api.refusal(req.method, req.path)
            return error_response(403, {"message": "Missing Authentication Token"},
                                  [("x-amzn-ErrorType", "MissingAuthenticationTokenException"), *rid_header])
        if len(req.body) > self.runner.config.max_body_bytes:
            return error_response(413, {"message": "Request Too Long"}, rid_header)
        config = self.runner.config
        event = to_event(req, match, stage=self.manifest.api_gateway_stage, request_id=request_id,
                         account_id=config.account_id, app_name=self.manifest.app_name,
                         binary_types=self.manifest.binary_media_types, trusted_proxies=config.trusted_proxies)
        task = asyncio.get_running_loop().create_task(self.runner.invoke(match.function, orjson.dumps(event)))
        await first_done((task,), self.api_timeout)
        if not task.done():  # the invocation goes on, as behind API Gateway; its outcome is only logged
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            return error_response(504, {"message": "Endpoint request timed out"}, rid_header)
        try:
            result = task.result()
        except Throttled as exc:
            return error_response(429, {"message": "Too Many Requests"},
                                  [("Retry-After", str(exc.retry_after)), *rid_header])
        except RequestTooLarge:
            return error_response(413, {"message": "Request Too Long"}, rid_header)
        if result.function_error:
            self.runner.sink.emit(match.function, result.request_id,
                                  f"Lambda execution failed with status 200 due to customer function error: "
                                  f"{_error_message(result.payload)}. Lambda request id: {result.request_id}",
                                  level="ERROR")
            return error_response(502, {"message": "Internal server error"}, rid_header)
        resp = from_proxy_response(result.payload, req.header("Accept"), self.manifest.binary_media_types)
        if resp is None:
            self.runner.sink.emit(match.function, result.request_id,
                                  "Execution failed due to configuration error: Malformed Lambda proxy response",
                                  level="ERROR")
            return error_response(502, {"message": "Internal server error"}, rid_header)
        resp.headers.extend(rid_header)
        return resp


def _error_message(payload: bytes) -> str:
    try:
        detail = json.loads(payload)
    except ValueError:
        return payload[:500].decode("utf-8", "replace")
    if not isinstance(detail, dict):
        return str(detail)[:500]
    return f"{detail.get('errorType')}: {detail.get('errorMessage')}"
