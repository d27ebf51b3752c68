"""The Lambda Runtime API (2018-06-01) that workers poll, one listening port per worker.

Each worker gets its own 127.0.0.1 port (AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>), so the port a request
arrives on tells which worker (execution environment) it is.

Every invocation crosses this API twice (the worker's `/next`, then its `/response`), so it is served by an
asyncio protocol over httptools' parser (the one uvicorn uses) instead of a web framework: four fixed
routes, bodies with a Content-Length, keep-alive connections from one client (awslambdaric's). Measured on
the (shared, loaded) development VM at 16 callers, on uvloop: the front's CPU per warm invocation went from
about 1.8 ms with aiohttp here to 1.3-1.5 ms. The callers' side is served the same way (http_server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterable
from typing import cast

import httptools

from local_runner.worker import Invocation, Worker

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
MAX_BODY = 64 * 1024 * 1024
_NEXT = (PREFIX + "/invocation/next").encode()
_INIT_ERROR = (PREFIX + "/init/error").encode()
_INVOCATION = (PREFIX + "/invocation/").encode()
_ERROR_TYPE = ERROR_TYPE_HEADER.lower().encode()
_REASONS = {200: b"OK", 202: b"Accepted", 400: b"Bad Request", 403: b"Forbidden", 404: b"Not Found",
            410: b"Gone", 413: b"Payload Too Large"}
_ACCEPTED = b'{"status": "OK"}'


def _response(status: int, body: bytes, headers: Iterable[tuple[str, str]] = (), close: bool = False) -> bytes:
    head = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"")), b"Content-Type: application/json",
            b"Content-Length: %d" % len(body)]
    head.extend(f"{k}: {v}".encode("latin-1") for k, v in headers)
    if close:
        head.append(b"Connection: close")
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class _Connection(asyncio.Protocol):
    """One worker's HTTP/1.1 connection; requests are answered in order (the client never pipelines)."""

    def __init__(self, api: RuntimeApi, port: int) -> None:
        self.api = api
        self.port = port
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._error_type: bytes | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._waiting: asyncio.Future[Invocation] | None = None

    # -- asyncio ---------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes
        with contextlib.suppress(OSError):
            self.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self._waiting is not None:
            self._waiting.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._send(_response(400, b'{"errorType": "InvalidRequest"}', close=True), close=True)

    # -- httptools callbacks ---------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url, self._error_type, self._body, self._size = b"", None, [], 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == _ERROR_TYPE:
            self._error_type = value

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size <= MAX_BODY:
            self._body.append(body)

    def on_message_complete(self) -> None:
        worker = self.api.worker(self.port)
        if worker is None:
            self._send(_response(403, b'{"errorType": "InvalidStateTransition"}', close=True), close=True)
            return
        method, url = self.parser.get_method(), self._url.split(b"?", 1)[0]
        if self._size > MAX_BODY:
            self._send(_response(413, b'{"errorType": "RequestTooLarge"}', close=True), close=True)
        elif method == b"GET" and url == _NEXT:
            self._waiting = worker.next_invocation()
            self._waiting.add_done_callback(self._hand_over)
        elif method == b"POST" and url == _INIT_ERROR:
            worker.post_init_error(b"".join(self._body))
            self._send(_response(202, _ACCEPTED))
        elif method == b"POST" and url.startswith(_INVOCATION) and url.endswith((b"/response", b"/error")):
            request_id, _, kind = url[len(_INVOCATION):].decode("latin-1").rpartition("/")
            error_type = None
            if kind == "error":
                error_type = self._error_type.decode("latin-1") if self._error_type else "Unhandled"
            if worker.post_result(request_id, b"".join(self._body), error_type):
                self._send(_response(202, _ACCEPTED))
            else:
                self._send(_response(400, b'{"errorType": "InvalidRequestID"}'))
        else:
            self._send(_response(404, b'{"errorType": "NotFound"}'))

    # -- answers ---------------------------------------------------------------------------------------
    def _hand_over(self, fut: asyncio.Future[Invocation]) -> None:
        self._waiting = None
        if fut.cancelled() or fut.exception() is not None:  # the worker is dead (or went away)
            self._send(_response(410, b"", close=True), close=True)
            return
        inv = fut.result()
        headers = [("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                   ("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms)),
                   ("Lambda-Runtime-Invoked-Function-Arn", inv.invoked_function_arn),
                   ("Lambda-Runtime-Trace-Id", inv.trace_id)]
        if inv.client_context:
            headers.append(("Lambda-Runtime-Client-Context", inv.client_context))
        self._send(_response(200, inv.payload, headers))

    def _send(self, data: bytes, close: bool = False) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(data)
        if close or not self.parser.should_keep_alive():
            self.transport.close()


class RuntimeApi:
    def __init__(self) -> None:
        self._servers: dict[int, asyncio.Server] = {}
        self._workers: dict[int, Worker] = {}

    async def start(self) -> None:
        """Nothing to set up: each worker's port is opened by `open_port`."""

    async def stop(self) -> None:
        for port in list(self._servers):
            await self.close_port(port)

    async def open_port(self) -> int:
        """Listen on a fresh 127.0.0.1 port; attach a worker with `attach` before it starts."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        self._servers[port] = await loop.create_server(lambda: _Connection(self, port), sock=sock)
        return port

    def attach(self, worker: Worker) -> None:
        self._workers[worker.port] = worker

    def worker(self, port: int) -> Worker | None:
        return self._workers.get(port)

    async def close_port(self, port: int) -> None:
        self._workers.pop(port, None)
        server = self._servers.pop(port, None)
        if server is not None:
            server.close()
