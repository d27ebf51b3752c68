"""The HTTP server: API Gateway routes, the Invoke API and the runner's own endpoints, on one aiohttp app.

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

Draining behind a proxy that keeps connections alive (nginx `keepalive`): every answer while draining says
`Connection: close`, and `wait_idle` returns only once each open connection is closed or has been idle for
`keepalive_grace` seconds (longer than nginx's upstream `keepalive_timeout`, so nginx has dropped it). The
runner itself never closes a connection that nginx may be sending a request on at that very moment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from local_runner import control_api, ids
from local_runner.apigw import HttpRequest, HttpResponse, error_response, from_proxy_response, to_event
from local_runner.errors import RequestTooLarge, Throttled
from local_runner.invoke_api import PATH as INVOKE_PATH
from local_runner.invoke_api import EventSink, InvokeApi
from local_runner.routes import RouteMatcher
from local_runner.runner import Runner
from local_runner.waits import first_done

log = logging.getLogger("local_runner.http")
ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]
HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"}


class Front:
    def __init__(self, runner: Runner, *, events: EventSink | None = None, api_timeout: float = 29.0,
                 extra_ready: ReadyCheck | None = None, keepalive_grace: float = 3.0) -> None:
        self.runner = runner
        self.manifest = runner.manifest
        self.matcher = RouteMatcher.from_functions((f.name, f.routes) for f in self.manifest.functions.values())
        self.invoke_api = InvokeApi(runner, self.manifest, events)
        self.control_api = control_api.ControlApi(runner)
        self.api_timeout = api_timeout
        self.extra_ready = extra_ready
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.keepalive_grace = keepalive_grace
        self._last_use: weakref.WeakKeyDictionary[asyncio.BaseTransport, float] = weakref.WeakKeyDictionary()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.runner.config.max_body_bytes + 1,
                              middlewares=[self._track])
        app.add_routes([
            web.get("/_runner/health", self.health),
            web.get("/_runner/ready", self.ready),
            web.get("/_runner/metrics", self.metrics),
            web.post(INVOKE_PATH, self.invoke_api.handle),
            *self.control_api.routes(),
            web.route("*", "/{tail:.*}", self.api),
        ])
        return app

    @web.middleware
    async def _track(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                     ) -> web.StreamResponse:
        self.in_flight += 1
        self._idle.clear()
        transport = request.transport
        try:
            response = await handler(request)
            if self.draining:
                response.force_close()  # Connection: close; the proxy opens its next one elsewhere
            return response
        finally:
            self.runner.sink.flush()  # the log lines of this request are out before its answer
            if transport is not None:
                self._last_use[transport] = time.monotonic()
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """No request in flight and no connection a proxy may still send on (see the module doc)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await asyncio.wait_for(self._idle.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return False
            now = time.monotonic()
            live = [used for t, used in self._last_use.items() if not t.is_closing()]
            if not live or all(now - used >= self.keepalive_grace for used in live):
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(min(0.05, deadline - now))

    # -- the runner's own endpoints ---------------------------------------------------------------------
    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(self, request: web.Request) -> web.Response:
        checks: dict[str, Any] = {"workers": self.runner.workers_spawnable(), "draining": self.draining}
        if self.extra_ready is not None:
            checks.update(await self.extra_ready())
        ok = checks["workers"] and not self.draining and all(v for k, v in checks.items() if k not in ("draining",))
        return web.json_response({"ready": ok, **checks}, status=200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.runner.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -- API Gateway --------------------------------------------------------------------------------------
    async def api(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._send(error_response(413, {"message": "Request Too Long"}), "api")
        resp = await self.handle(HttpRequest(
            method=request.method, path=request.path,
            query=list(request.query.items()),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
            body=body, peer=request.remote or "", raw_path=request.raw_path.split("?", 1)[0]))
        return self._send(resp, "api")

    def _send(self, resp: HttpResponse, kind: str) -> web.Response:
        metrics = self.runner.metrics
        metrics.child(metrics.http_requests, kind, str(resp.status)).inc()
        out = web.Response(status=resp.status, body=resp.body)
        for k, v in resp.headers:
            if k.lower() not in HOP_BY_HOP:  # framing is the server's, as behind API Gateway
                out.headers.add(k, v)
        return out

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
        task = asyncio.get_running_loop().create_task(self.runner.invoke(match.function, json.dumps(event).encode()))
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
        accept = next((v for k, v in req.headers if k.lower() == "accept"), None)
        resp = from_proxy_response(result.payload, accept, self.manifest.binary_media_types)
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
