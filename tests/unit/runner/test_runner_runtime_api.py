"""The Runtime API's HTTP protocol on its own: routes, keep-alive, the answers awslambdaric relies on."""

from __future__ import annotations

import asyncio

from local_runner.runtime_api import RuntimeApi
from local_runner.worker import Invocation


class FakeWorker:
    def __init__(self, port: int) -> None:
        self.port = port
        self.results: list[tuple[str, bytes, str | None]] = []
        self.init_errors: list[bytes] = []

    def next_invocation(self) -> asyncio.Future[Invocation]:
        fut: asyncio.Future[Invocation] = asyncio.get_running_loop().create_future()
        fut.set_result(Invocation("rid-1", b'{"a": 1}', 3.0, "arn:aws:lambda:r:1:function:f", "Root=1",
                                  deadline_ms=123))
        return fut

    def post_result(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        if request_id != "rid-1":
            return False
        self.results.append((request_id, body, error_type))
        return True

    def post_init_error(self, body: bytes) -> None:
        self.init_errors.append(body)


async def exchange(port: int, requests: list[bytes]) -> list[bytes]:
    """Requests one after the other on one keep-alive connection; each answer's head and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    for request in requests:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        answers.append(head + await reader.readexactly(length))
    writer.close()
    return answers


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_next_response_error_and_unknown_paths_on_one_connection() -> None:
    async def run() -> tuple[list[bytes], FakeWorker]:
        api = RuntimeApi()
        port = await api.open_port()
        worker = FakeWorker(port)
        api.attach(worker)  # type: ignore[arg-type]
        try:
            answers = await exchange(port, [
                b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n",
                post("/2018-06-01/runtime/invocation/rid-1/response", b'{"ok": true}'),
                post("/2018-06-01/runtime/invocation/rid-1/error", b'{"errorType": "E"}',
                     "Lambda-Runtime-Function-Error-Type: Unhandled.E\r\n"),
                post("/2018-06-01/runtime/invocation/other/response", b"{}"),
                post("/2018-06-01/runtime/init/error", b'{"errorType": "Init"}'),
                b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n",
            ])
        finally:
            await api.stop()
        return answers, worker

    answers, worker = asyncio.run(run())
    nxt, ok, err, bad_id, init, unknown = answers
    assert nxt.startswith(b"HTTP/1.1 200 OK\r\n") and nxt.endswith(b'{"a": 1}')
    for header in (b"Lambda-Runtime-Aws-Request-Id: rid-1", b"Lambda-Runtime-Deadline-Ms: 123",
                   b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:r:1:function:f",
                   b"Lambda-Runtime-Trace-Id: Root=1"):
        assert header in nxt
    assert ok.startswith(b"HTTP/1.1 202") and err.startswith(b"HTTP/1.1 202") and init.startswith(b"HTTP/1.1 202")
    assert bad_id.startswith(b"HTTP/1.1 400") and b"InvalidRequestID" in bad_id
    assert unknown.startswith(b"HTTP/1.1 404")
    assert worker.results == [("rid-1", b'{"ok": true}', None), ("rid-1", b'{"errorType": "E"}', "Unhandled.E")]
    assert worker.init_errors == [b'{"errorType": "Init"}']


def test_a_port_without_its_worker_is_refused() -> None:
    async def run() -> bytes:
        api = RuntimeApi()
        port = await api.open_port()
        try:
            return (await exchange(port, [b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"]))[0]
        finally:
            await api.stop()

    answer = asyncio.run(run())
    assert answer.startswith(b"HTTP/1.1 403") and b"Connection: close" in answer
