"""A local Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) that records what it is asked.

It answers as Lambda does for an Event invocation (202, empty body), or with a status chosen by the test.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


class InvokeRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []  # (function, invocation type, payload)
        self.status = 202
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = _PATH.match(self.path.split("?")[0])
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                if match is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                recorder.calls.append((match.group(1), self.headers.get("X-Amz-Invocation-Type", ""), payload))
                body = b"" if recorder.status == 202 else json.dumps({"Message": "down"}).encode()
                self.send_response(recorder.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> InvokeRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
