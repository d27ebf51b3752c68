"""A loopback HTTP/1.1 server with keep-alive, as the runner's front, Lambda's endpoint and FAL's file host
are, that records which connection each request came on; for the clients that keep their connections."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (method, path, headers, body) -> (status, body)
Answer = Callable[[str, str, dict[str, str], bytes], tuple[int, bytes]]


@dataclass
class KeepAliveServer:
    url: str
    requests: list[tuple[int, str, str, dict[str, str], bytes]] = field(default_factory=list)
    # (connection number, method, path, headers, body)
    close_after_answer: bool = False  # drop the connection after the next answer, without telling the client
    say_close: bool = False  # answer with `Connection: close`

    @property
    def connections(self) -> int:
        return len({conn for conn, *_ in self.requests})


@contextmanager
def keepalive_server(answer: Answer) -> Iterator[KeepAliveServer]:
    numbers = itertools.count(1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with lock:
                self.number = next(numbers)

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            state.requests.append((self.number, self.command, self.path, headers, body))
            status, out = answer(self.command, self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", str(len(out)))
            if state.say_close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(out)
            if state.close_after_answer:
                state.close_after_answer = False
                self.close_connection = True

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state = KeepAliveServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
