"""The Lambda Runtime API (2018-06-01) that workers poll, one listening port per worker.

Each worker gets its own 127.0.0.1 port (AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>) on one aiohttp
application, so the endpoint a request arrives on tells which worker (execution environment) it is.
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from local_runner.worker import Worker

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class RuntimeApi:
    def __init__(self) -> None:
        self._app = web.Application(client_max_size=64 * 1024 * 1024)
        self._app.add_routes([
            web.get(PREFIX + "/invocation/next", self._next),
            web.post(PREFIX + "/invocation/{request_id}/response", self._response),
            web.post(PREFIX + "/invocation/{request_id}/error", self._error),
            web.post(PREFIX + "/init/error", self._init_error),
        ])
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        self._sites: dict[int, web.SockSite] = {}
        self._workers: dict[int, Worker] = {}
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self._runner.setup()
            self._started = True

    async def stop(self) -> None:
        if self._started:
            await self._runner.cleanup()
            self._started = False

    async def open_port(self) -> int:
        """Listen on a fresh 127.0.0.1 port; attach a worker with `attach` before it starts."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._sites[port] = site
        return port

    def attach(self, worker: Worker) -> None:
        self._workers[worker.port] = worker

    async def close_port(self, port: int) -> None:
        self._workers.pop(port, None)
        site = self._sites.pop(port, None)
        if site is not None:
            await site.stop()

    def _worker(self, request: web.Request) -> Worker:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        worker = self._workers.get(sockname[1]) if sockname else None
        if worker is None:
            raise web.HTTPForbidden(text='{"errorType": "InvalidStateTransition"}', content_type="application/json")
        return worker

    async def _next(self, request: web.Request) -> web.StreamResponse:
        worker = self._worker(request)
        try:
            inv = await worker.next_invocation()
        except asyncio.CancelledError:
            return web.Response(status=410)
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_function_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        return web.Response(body=inv.payload, headers=headers, content_type="application/json")

    async def _response(self, request: web.Request) -> web.StreamResponse:
        worker = self._worker(request)
        body = await request.read()
        if not worker.post_result(request.match_info["request_id"], body, None):
            return web.json_response({"errorType": "InvalidRequestID"}, status=400)
        return web.json_response({"status": "OK"}, status=202)

    async def _error(self, request: web.Request) -> web.StreamResponse:
        worker = self._worker(request)
        body = await request.read()
        error_type = request.headers.get(ERROR_TYPE_HEADER) or "Unhandled"
        if not worker.post_result(request.match_info["request_id"], body, error_type):
            return web.json_response({"errorType": "InvalidRequestID"}, status=400)
        return web.json_response({"status": "OK"}, status=202)

    async def _init_error(self, request: web.Request) -> web.StreamResponse:
        worker = self._worker(request)
        worker.post_init_error(await request.read())
        return web.json_response({"status": "OK"}, status=202)
