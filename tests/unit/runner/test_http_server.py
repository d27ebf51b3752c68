"""The front's HTTP server on its own, over real loopback sockets: framing, limits, errors, draining."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable

from local_runner.apigw import HttpRequest, HttpResponse
from local_runner.http_server import HttpServer

Body = Callable[[HttpServer, int, list[HttpRequest]], Awaitable[None]]


async def echo(req: HttpRequest) -> HttpResponse:
    if req.path == "/boom":
        raise RuntimeError("handler failed")
    if req.path == "/empty":
        return HttpResponse(204, [("x-kind", "empty")], b"")
    if req.path == "/slow":
        await asyncio.sleep(float(req.query_value("s") or "0.2"))
    if req.too_large:
        return HttpResponse(413, [("Content-Type", "application/json")],
                            json.dumps({"length": req.content_length}).encode())
    answer = {"method": req.method, "path": req.path, "raw_path": req.raw_path, "query": list(req.query),
              "body": req.body.decode(), "peer": req.peer, "host": req.header("HOST")}
    return HttpResponse(200, [("Content-Type", "application/json"), ("Connection", "upgrade")],
                        json.dumps(answer).encode())


def serve(body: Body, **settings: float) -> None:
    """Run `body(server, port, seen)` against a server of `echo` (recording each request) on a free port."""
    async def run() -> None:
        seen: list[HttpRequest] = []

        async def handler(req: HttpRequest) -> HttpResponse:
            seen.append(req)
            return await echo(req)

        server = HttpServer(handler, max_body=int(settings.pop("max_body", 1000)), **settings)
        sock = socket.create_server(("127.0.0.1", 0))
        await server.start(sock, 16)
        try:
            await body(server, sock.getsockname()[1], seen)
        finally:
            await server.close()

    asyncio.run(asyncio.wait_for(run(), 30))


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    length = int(headers.get("content-length", "0"))
    return int(lines[0].split()[1]), headers, await reader.readexactly(length)


def test_keep_alive_pipelining_query_and_chunked_bodies() -> None:
    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        chunked = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        writer.write(b"GET /a%20b/c?x=1&x=2&y=&z=a+b HTTP/1.1\r\nHost: h\r\n\r\n"  # two requests in one write
                     b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        first, second = await read_answer(reader), await read_answer(reader)
        assert first[0] == 200 and second[0] == 200
        got = json.loads(first[2])
        assert got["path"] == "/a b/c" and got["raw_path"] == "/a%20b/c" and got["host"] == "h"
        assert got["query"] == [["x", "1"], ["x", "2"], ["y", ""], ["z", "a b"]] and got["peer"] == "127.0.0.1"
        assert json.loads(second[2])["body"] == "abcde"
        assert "connection" not in first[1] and "date" in first[1]  # kept alive; a handler's hop-by-hop dropped
        writer.write(b"GET http://h:80/abs?q=1 HTTP/1.1\r\nHost: h\r\n\r\n")  # absolute form, as to a proxy
        got = json.loads((await read_answer(reader))[2])
        assert got["path"] == "/abs" and got["query"] == [["q", "1"]]
        writer.write(b"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /empty HTTP/1.1\r\nHost: h\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")  # HEAD: the length it would have, no body
        assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: " in head
        status, headers, empty = await read_answer(reader)
        assert status == 204 and "content-length" not in headers and empty == b"" and headers["x-kind"] == "empty"
        writer.close()

    serve(body)


def test_unparsable_requests_and_handler_errors_are_json_and_close() -> None:
    async def one(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        status, headers, data = await read_answer(reader)
        rest = await reader.read()  # the server closed the connection
        writer.close()
        return status, headers, data, rest

    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
                    b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
                    b"GET /" + b"u" * 9000 + b" HTTP/1.1\r\n\r\n"):
            status, headers, data, rest = await one(port, raw)
            assert status == 400 and headers["content-type"] == "application/json" and rest == b""
            assert json.loads(data) == {"message": "Bad Request", "code": "BadRequest"}
        status, headers, data, rest = await one(port, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        assert status == 500 and json.loads(data) == {"message": "Internal Server Error", "code": "InternalServerError"}
        assert headers["connection"] == "close" and rest == b""  # the pipelined request after it is not served
        assert [r.path for r in seen] == ["/boom"] and server.in_flight == 0

    serve(body)


def test_a_body_over_the_limit_reaches_the_handler_without_its_bytes_and_the_answer_arrives() -> None:
    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        for framing in (b"Content-Length: 5000\r\n", b"Transfer-Encoding: chunked\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            payload = b"x" * 5000
            sent = payload if b"Content-Length" in framing else b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
            writer.write(b"POST /big HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n" + sent[:2000])
            status, headers, data = await read_answer(reader)  # answered as soon as it went over
            assert status == 413 and headers["connection"] == "close"
            assert json.loads(data)["length"] >= 1000  # announced, or counted until it went over
            try:  # the server reads the rest before it closes (a close with unread data resets the connection)
                early = await asyncio.wait_for(reader.read(), 0.3)
            except TimeoutError:
                early = None
            assert early is None, "closed before the body was all read"
            writer.write(sent[2000:])
            assert await reader.read() == b""  # closed once the rest of the body was read
            writer.close()
        assert all(r.too_large and r.body == b"" for r in seen)

    serve(body)


def test_expect_100_continue_is_answered_before_the_body() -> None:
    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"ok")
        status, _, data = await read_answer(reader)
        assert status == 200 and json.loads(data)["body"] == "ok"
        writer.close()

    serve(body)


def test_draining_closes_after_each_answer_and_waits_for_idle_connections() -> None:
    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /slow?s=0.3 HTTP/1.1\r\nHost: x\r\n\r\n")
        while server.in_flight == 0:  # the request is in the handler
            await asyncio.sleep(0.01)
        server.draining = True
        await server.stop_listening()
        assert not await server.wait_idle(0.1)  # a request in flight
        status, headers, _ = await read_answer(reader)
        assert status == 200 and headers["connection"] == "close" and await reader.read() == b""
        assert await server.wait_idle(5)
        writer.close()

    serve(body, keepalive_grace=0.2)


def test_wait_idle_waits_for_a_kept_alive_connection_to_pass_the_grace() -> None:
    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await read_answer(reader)  # the connection stays open, idle
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await server.wait_idle(5)
        assert loop.time() - started >= 0.3  # a proxy may still send on it until the grace has passed
        writer.close()

    serve(body, keepalive_grace=0.4)


def test_an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout() -> None:
    async def body(server: HttpServer, port: int, seen: list[HttpRequest]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await read_answer(reader)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        stalled_reader, stalled = await asyncio.open_connection("127.0.0.1", port)
        stalled.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")  # and then nothing
        assert await asyncio.wait_for(stalled_reader.read(), 5) == b""  # dropped as well, unanswered
        assert not server.connections and [r.method for r in seen] == ["GET"]
        writer.close()
        stalled.close()

    serve(body, keepalive_timeout=0.5)
