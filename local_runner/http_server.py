"""The front's HTTP/1.1 server: an asyncio protocol over httptools (the parser uvicorn uses), no framework.

Every API Gateway request crosses it, so it does only what the front needs: parse a request into an
`apigw.HttpRequest`, run the handler (one task per request), write its `HttpResponse`. Measured on
`/_runner/health` with wrk at c16 on a quiet 2-core machine: aiohttp's server spent 0.09 ms of the front's
CPU per request; see bench/runner_bench.py for the figures of this one.

What it does, as aiohttp did for the runner:
- keep-alive (HTTP/1.1, or HTTP/1.0 with `Connection: keep-alive`), pipelined requests answered in order;
- chunked request bodies; `Expect: 100-continue` answered before the body is read;
- a body over `max_body` is not kept: the handler gets the request with `too_large` set (and the length
  announced), answers in its own format (API Gateway's 413 differs from the Invoke API's), and the connection
  closes after that answer;
- a request it cannot parse, or a request line or header over 8190 bytes (aiohttp's limits): 400 as JSON,
  `{"message": "Bad Request", "code": "BadRequest"}`, then close; a handler that raised: 500 the same way;
- HEAD, 1xx, 204 and 304 answers carry no body; hop-by-hop headers of a handler's answer are dropped (the
  framing is the server's);
- draining (`draining = True`): every answer says `Connection: close`; `wait_idle` returns once no request
  is in flight and every open connection is closed or idle for `keepalive_grace` seconds, longer than
  nginx's upstream `keepalive_timeout` (so nginx has dropped it: the runner never closes a connection that
  a proxy may be sending a request on at that moment);
- idle keep-alive connections close after `keepalive_timeout` (75 s, aiohttp's default), and so does one
  whose request has not arrived whole that long after it began (a client that stalls mid-request).
A client that goes away does not cancel its request: the handler (an invocation) runs to its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Coroutine
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import httptools

from local_runner.apigw import HttpRequest, HttpResponse
from local_runner.waits import cancel_and_wait

log = logging.getLogger("local_runner.http")
Handler = Callable[[HttpRequest], Coroutine[Any, Any, HttpResponse]]
MAX_LINE = 8190  # bytes of a request line or of one header, as aiohttp's defaults
MAX_HEADERS = 64 * 1024  # bytes of all headers together
LINGER_SECONDS = 10.0  # at most, reading the rest of a body over the limit after answering it
PIPELINE_LIMIT = 16  # parsed requests waiting on one connection before it stops reading
HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"})
_NO_BODY = frozenset({204, 304})


@functools.lru_cache(maxsize=64)
def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def error_body(status: int) -> bytes:
    """`{"message": <reason phrase>, "code": <the phrase in CamelCase>}`, for the server's own answers."""
    phrase = _phrase(status) or "Error"
    code = "".join(word.capitalize() for word in phrase.replace("-", " ").split())
    return json.dumps({"message": phrase, "code": code}).encode()


@functools.lru_cache(maxsize=2)
def _date(second: int) -> bytes:
    """The Date header's value, formatted once a second."""
    return formatdate(second, usegmt=True).encode()


class _Request:
    """A request being parsed."""

    __slots__ = (
        "body",
        "content_length",
        "header_bytes",
        "headers",
        "keep_alive",
        "method",
        "size",
        "too_large",
        "url",
    )

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.header_bytes = 0
        self.body: list[bytes] = []
        self.size = 0
        self.too_large = False
        self.content_length: int | None = None
        self.method = ""
        self.keep_alive = True


class _Connection(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.current: _Request | None = None
        self._name: bytes | None = None
        self.ready: deque[tuple[_Request, HttpRequest]] = deque()  # parsed, waiting for the one in progress
        self.busy = False  # a request's handler is running (or its answer is being written)
        self.closing = False  # no more requests after the one in progress
        self.lingering = False  # the body of a request over the limit is still arriving: read and dropped
        self.last_used = time.monotonic()
        self.paused = False

    # -- asyncio ---------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) and peer else ""
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.ready.clear()
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # no protocol switch here: answered as a plain request, then closed
            if self.current is not None:
                self.on_message_complete()
        except httptools.HttpParserError:
            self._fail(400)

    # -- httptools callbacks ---------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.current = _Request()
        self.last_used = time.monotonic()  # a request that takes longer than the keep-alive timeout is dropped

    def on_url(self, url: bytes) -> None:
        req = self.current
        assert req is not None
        req.url += url
        if len(req.url) > MAX_LINE:
            raise httptools.HttpParserError("request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        req = self.current
        assert req is not None
        req.header_bytes += len(name) + len(value)
        if len(name) > MAX_LINE or len(value) > MAX_LINE or req.header_bytes > MAX_HEADERS:
            raise httptools.HttpParserError("header too long")
        req.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        req = self.current
        assert req is not None
        req.method = self.parser.get_method().decode("latin-1")
        req.keep_alive = self.parser.should_keep_alive() and not self.parser.should_upgrade()
        expect = None
        for name, value in req.headers:
            lower = name.lower()
            if lower == "content-length" and value.isdigit():
                req.content_length = int(value)
            elif lower == "expect":
                expect = value.lower()
        if req.content_length is not None and req.content_length > self.server.max_body:
            self._too_large(req)
        elif expect == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        req = self.current
        if req is None or req.too_large:
            return
        req.size += len(body)
        if req.size > self.server.max_body:
            self._too_large(req)
        else:
            req.body.append(body)

    def on_message_complete(self) -> None:
        req, self.current = self.current, None
        if req is None:
            return
        if req.too_large:  # handed over when it went over the limit; its body has now all been read
            if self.lingering and self.transport is not None:
                self.transport.close()
            return
        self._parsed(req)

    # -- requests --------------------------------------------------------------------------------------
    def _too_large(self, req: _Request) -> None:
        """Handed over now, without its body; the connection closes after its answer."""
        req.too_large, req.body, req.keep_alive = True, [], False
        if req.content_length is None:
            req.content_length = req.size
        self._parsed(req)

    def _parsed(self, req: _Request) -> None:
        if self.closing:
            return  # after a request that closes the connection: nothing more is served
        raw = req.url.decode("latin-1")
        if raw.startswith(("http://", "https://")):  # absolute form (RFC 9112 3.2.2): the path is what is served
            parts = urlsplit(raw)
            raw = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        raw_path, _, query = raw.partition("?")
        raw_path = raw_path.split("#", 1)[0]
        request = HttpRequest(method=req.method, path=unquote(raw_path), query=parse_qsl(query, keep_blank_values=True),
                              headers=req.headers, body=b"".join(req.body), peer=self.peer, raw_path=raw_path,
                              too_large=req.too_large, content_length=req.content_length)
        if not req.keep_alive:
            self.closing = True
        self.ready.append((req, request))
        if len(self.ready) >= PIPELINE_LIMIT and self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        if not self.busy:
            self._next()

    def _next(self) -> None:
        if not self.ready or self.transport is None:
            return
        req, request = self.ready.popleft()
        if self.paused and len(self.ready) < PIPELINE_LIMIT // 2:
            self.paused = False
            self.transport.resume_reading()
        self.busy = True
        self.server.started()
        task: asyncio.Task[HttpResponse] = asyncio.get_running_loop().create_task(self.server.handler(request))
        task.add_done_callback(lambda t: self._answer(req, t))

    def _answer(self, req: _Request, task: asyncio.Task[HttpResponse]) -> None:
        try:
            resp = task.result()
        except BaseException as exc:  # a handler that raised: 500, as aiohttp answered (now as JSON)
            if not isinstance(exc, asyncio.CancelledError):
                log.error("handler failed: %s", exc, exc_info=exc)
            resp = HttpResponse(500, [("Content-Type", "application/json")], error_body(500))
            req.keep_alive = False
            self.closing = True
        self.busy = False
        self.last_used = time.monotonic()
        close = self.closing or not req.keep_alive or self.server.draining
        self._write(resp, head_only=req.method == "HEAD", close=close)
        self.server.finished()
        if not close:
            self._next()
            return
        self.closing = True
        if self.transport is None:
            return
        if self.current is not None and self.current.too_large:
            # Read the rest of the body before closing (as aiohttp lingers): closing a socket with unread data
            # sends a reset, and the client may lose the 413 it was sent.
            self.lingering = True
            asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _write(self, resp: HttpResponse, *, head_only: bool, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        status = resp.status
        lines = [b"HTTP/1.1 %d %s" % (status, _phrase(status).encode())]
        lines.extend(f"{k}: {v}".encode("latin-1", "replace") for k, v in resp.headers
                     if k.lower() not in HOP_BY_HOP)
        lines.append(b"Date: " + _date(int(time.time())))
        no_body = status < 200 or status in _NO_BODY
        if not no_body:
            lines.append(b"Content-Length: %d" % len(resp.body))
        if close:
            lines.append(b"Connection: close")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        self.transport.write(head if head_only or no_body else head + resp.body)

    def _fail(self, status: int) -> None:
        """The server's own error answer (the request could not be parsed), then close."""
        self.closing = True
        self.ready.clear()
        if self.busy:  # an answer is still due on this connection: close after it
            return
        self._write(HttpResponse(status, [("Content-Type", "application/json")], error_body(status)),
                    head_only=False, close=True)
        if self.transport is not None:
            self.transport.close()

    def idle_for(self, now: float) -> float:
        """Seconds since the last answer (or since a request began arriving); 0 while one is being served."""
        return 0.0 if self.busy or self.ready else now - self.last_used


class HttpServer:
    """Serves `handler` on a listening socket (see the module doc for what it does)."""

    def __init__(self, handler: Handler, *, max_body: int, keepalive_timeout: float = 75.0,
                 keepalive_grace: float = 3.0) -> None:
        self.handler = handler
        self.max_body = max_body
        self.keepalive_timeout = keepalive_timeout
        self.keepalive_grace = keepalive_grace
        self.draining = False
        self.in_flight = 0
        self.connections: set[_Connection] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, sock: socket.socket, backlog: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock, backlog=backlog)
        self._sweeper = loop.create_task(self._sweep())

    def started(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def stop_listening(self) -> None:
        """No new connections; those open go on being served."""
        if self._server is not None:
            self._server.close()

    async def wait_idle(self, timeout: float) -> bool:
        """No request in flight and no connection a proxy may still send on (see the module doc)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await asyncio.wait_for(self._idle.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return False
            now = time.monotonic()
            live = [c for c in self.connections if c.transport is not None and not c.transport.is_closing()]
            if all(c.idle_for(now) >= self.keepalive_grace for c in live):
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(min(0.05, deadline - now))

    async def close(self) -> None:
        """Close every connection and the listener (after `wait_idle`)."""
        if self._sweeper is not None:
            await cancel_and_wait(self._sweeper)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _sweep(self) -> None:
        """Close keep-alive connections idle past `keepalive_timeout` (one timer for all of them)."""
        interval = max(0.5, min(self.keepalive_timeout / 4, 15.0))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for conn in list(self.connections):
                if conn.transport is not None and conn.idle_for(now) >= self.keepalive_timeout:
                    conn.transport.close()
