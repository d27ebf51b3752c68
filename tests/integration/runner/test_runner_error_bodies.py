"""Every error answer of a real runner process is JSON: aiohttp's own (a request it cannot parse) and the
Invoke API's when the event queue's Redis is down (it was plain text: 400 and 500)."""

from __future__ import annotations

from collections.abc import Callable

from infra.devservices.procs import free_port
from tests.integration.runner.runner_harness import RunningServer
from tests.raw_http import exchange


def test_a_request_aiohttp_cannot_parse_is_answered_with_json(server: RunningServer) -> None:
    import json

    for request, status, code in [
        (b"GARBAGE\r\n\r\n", 400, "BadRequest"),
        (b"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400, "BadRequest"),
        (b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 400, "BadRequest"),
    ]:
        got, head, body = exchange(server.port, request)
        assert got == status and b"application/json" in head.lower(), head
        assert json.loads(body) == {"message": "Bad Request", "code": code}
    assert server.http.get("/_runner/health").status_code == 200  # and the runner serves on


def test_an_event_invocation_with_redis_down_is_a_json_503(start_server: Callable[..., RunningServer]) -> None:
    # nothing listens there: the runner serves (alive, not ready) and its Event queue cannot take anything
    server = start_server(env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, wait="health")
    raw = server.http.post("/2015-03-31/functions/echo/invocations", content=b"{}",
                           headers={"X-Amz-Invocation-Type": "Event"})
    assert raw.status_code == 503 and raw.headers["content-type"].startswith("application/json")
    assert raw.headers["x-amzn-ErrorType"] == "ServiceException" and raw.headers["Retry-After"] == "1"
    assert raw.json() == {"Type": "Service", "message": "The event queue is unavailable; try again"}
