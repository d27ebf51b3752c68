"""aisha.invoke's connections to the Invoke API: an Event call keeps its connection for the next one, a
kept connection the server closed costs no delivery and no duplicate, RequestResponse opens its own.

The server is a real HTTP/1.1 one on loopback (keep-alive, as the runner's front and Lambda's endpoint
are) that records which connection each request came on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from aisha import invoke
from aisha.config import Settings
from aisha.invoke import FunctionInvoker

from tests.unit.core.keepalive_server import KeepAliveServer, keepalive_server

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret"}


def _lambda(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """Lambda's answers: 202 to an Event, the function's result to RequestResponse."""
    return (202, b"") if headers["X-Amz-Invocation-Type"] == "Event" else (200, b'{"ok": true}')


@pytest.fixture
def server() -> Iterator[KeepAliveServer]:
    with keepalive_server(_lambda) as running:
        yield running


def _calls(server: KeepAliveServer) -> list[tuple[int, str, dict[str, object]]]:
    """(connection, invocation type, payload) of each request the server got."""
    return [(conn, headers["X-Amz-Invocation-Type"], json.loads(body)) for conn, _, _, headers, body in server.requests]


def _invoker(server: KeepAliveServer) -> FunctionInvoker:
    settings = Settings(lambda_endpoint_url=server.url, s3_region="us-east-1",
                        database_url="postgresql://unused/db", redis_url="redis://unused:6379/0")
    return FunctionInvoker(settings, environ=CREDENTIALS)


def test_event_calls_share_one_connection_and_a_sync_call_opens_its_own(server: KeepAliveServer) -> None:
    invoker = _invoker(server)
    for n in range(3):
        invoker.invoke_event("processor", {"event_id": n})
    assert server.connections == 1
    assert invoker.invoke_sync("reader", {}) == ({"ok": True}, None)
    invoker.invoke_event("processor", {"event_id": 3})
    invoker.close()  # a worker's end: the kept connection goes; a later call opens another
    invoker.invoke_event("processor", {"event_id": 4})
    events = [conn for conn, kind, _ in _calls(server) if kind == "Event"][:4]
    (sync,) = [conn for conn, kind, _ in _calls(server) if kind == "RequestResponse"]
    assert len(set(events)) == 1 and sync not in events  # the kept connection outlived the sync call
    assert server.connections == 3


def test_a_kept_connection_the_server_closed_costs_no_delivery_and_no_duplicate(server: KeepAliveServer) -> None:
    invoker = _invoker(server)
    server.close_after_answer = True
    invoker.invoke_event("processor", {"event_id": 1})
    invoker.invoke_event("processor", {"event_id": 2})  # first on the dead connection, then on a new one
    assert [payload for _, _, payload in _calls(server)] == [{"event_id": 1}, {"event_id": 2}]
    assert server.connections == 2


def test_a_connection_idle_past_the_limit_or_closed_by_the_server_is_not_reused(
        server: KeepAliveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    invoker = _invoker(server)
    monkeypatch.setattr(invoke, "KEEP_IDLE_SECONDS", 0.0)
    invoker.invoke_event("processor", {"event_id": 1})
    invoker.invoke_event("processor", {"event_id": 2})
    assert server.connections == 2
    monkeypatch.setattr(invoke, "KEEP_IDLE_SECONDS", 60.0)
    server.say_close = True  # a draining runner answers `Connection: close`
    for n in (3, 4, 5):
        invoker.invoke_event("processor", {"event_id": n})
    on = {payload["event_id"]: conn for conn, _, payload in _calls(server)}
    assert len({on[3], on[4], on[5]}) == 3
