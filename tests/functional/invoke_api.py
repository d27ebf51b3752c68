"""A loopback stand-in for the Lambda Invoke API (`LAMBDA_ENDPOINT_URL`) that the functions call.

`Event` invocations are recorded and answered 202, as Lambda does once it has queued them: the test
runs the queued function itself when it wants to. `RequestResponse` runs the named function's handler
in this process and answers its result (or Lambda's function-error shape), so the dispatcher's calls
to the bot functions stay in-process too.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Invocation:
    function: str
    kind: str  # Event | RequestResponse
    payload: dict[str, Any]


class InvokeApi:
    def __init__(self, handlers: Callable[[str], Handler]) -> None:
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()
        api = self

        class Endpoint(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = PATH.match(self.path.split("?")[0])
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if match is None:
                    self._answer(404, {"Type": "User", "message": "unknown path"})
                    return
                name, kind = match["name"], self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                payload = json.loads(raw or b"{}")
                with api._lock:
                    api.invocations.append(Invocation(name, kind, payload))
                if kind == "Event":
                    self._answer(202, None)
                    return
                try:
                    result = handlers(name)(payload, None)
                except Exception as exc:  # Lambda answers 200 with the error, flagged by a header
                    self._answer(200, {"errorMessage": str(exc), "errorType": type(exc).__name__,
                                       "stackTrace": traceback.format_exc().splitlines()},
                                 {"X-Amz-Function-Error": "Unhandled"})
                    return
                self._answer(200, result)

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> InvokeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def queued(self, function: str) -> list[dict[str, Any]]:
        """Payloads of the Event invocations of `function`, oldest first."""
        with self._lock:
            return [i.payload for i in self.invocations if i.function == function and i.kind == "Event"]
