"""aisha.invoke's connections to the Invoke API: an Event call keeps its connection for the next one, a
kept connection the server closed costs no delivery and no duplicate, RequestResponse opens its own.

The server is a real HTTP/1.1 one on loopback (keep-alive, as the runner's front and Lambda's endpoint
are) that records which connection each request came on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aisha import invoke
from aisha.config import Settings
from aisha.invoke import FunctionInvoker

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret"}


@dataclass
class InvokeServer:
    url: str
    requests: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)  # (connection, type, body)
    close_after_answer: bool = False  # drop the connection after the next answer, without telling the client
    say_close: bool = False  # answer with `Connection: close`

    @property
    def connections(self) -> int:
        return len({conn for conn, _, _ in self.requests})


@pytest.fixture
def server() -> Iterator[InvokeServer]:
    counter = iter(range(1, 1_000_000))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with lock:
                self.connection_number = next(counter)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            kind = self.headers["X-Amz-Invocation-Type"]
            state.requests.append((self.connection_number, kind, body))
            answer = b"" if kind == "Event" else b'{"ok": true}'
            self.send_response(202 if kind == "Event" else 200)
            self.send_header("Content-Length", str(len(answer)))
            if state.say_close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer)
            if state.close_after_answer:
                state.close_after_answer = False
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state = InvokeServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def _invoker(server: InvokeServer) -> FunctionInvoker:
    settings = Settings(lambda_endpoint_url=server.url, s3_region="us-east-1",
                        database_url="postgresql://unused/db", redis_url="redis://unused:6379/0")
    return FunctionInvoker(settings, environ=CREDENTIALS)


def test_event_calls_share_one_connection_and_a_sync_call_opens_its_own(server: InvokeServer) -> None:
    invoker = _invoker(server)
    for n in range(3):
        invoker.invoke_event("processor", {"event_id": n})
    assert server.connections == 1
    assert invoker.invoke_sync("reader", {}) == ({"ok": True}, None)
    invoker.invoke_event("processor", {"event_id": 3})
    events = [conn for conn, kind, _ in server.requests if kind == "Event"]
    (sync,) = [conn for conn, kind, _ in server.requests if kind == "RequestResponse"]
    assert len(set(events)) == 1 and sync not in events  # the kept connection outlived the sync call


def test_a_kept_connection_the_server_closed_costs_no_delivery_and_no_duplicate(server: InvokeServer) -> None:
    invoker = _invoker(server)
    server.close_after_answer = True
    invoker.invoke_event("processor", {"event_id": 1})
    invoker.invoke_event("processor", {"event_id": 2})  # first on the dead connection, then on a new one
    assert [body for _, _, body in server.requests] == [{"event_id": 1}, {"event_id": 2}]
    assert server.connections == 2


def test_a_connection_idle_past_the_limit_or_closed_by_the_server_is_not_reused(
        server: InvokeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    invoker = _invoker(server)
    monkeypatch.setattr(invoke, "KEEP_IDLE_SECONDS", 0.0)
    invoker.invoke_event("processor", {"event_id": 1})
    invoker.invoke_event("processor", {"event_id": 2})
    assert server.connections == 2
    monkeypatch.setattr(invoke, "KEEP_IDLE_SECONDS", 60.0)
    server.say_close = True  # a draining runner answers `Connection: close`
    for n in (3, 4, 5):
        invoker.invoke_event("processor", {"event_id": n})
    on = {body["event_id"]: conn for conn, _, body in server.requests}
    assert len({on[3], on[4], on[5]}) == 3
