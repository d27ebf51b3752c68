"""One HTTP/1.1 exchange over a plain socket, for requests an HTTP client refuses to send (a garbage
request line, TRACE): the status, the head and the body as they came."""

from __future__ import annotations

import socket


def exchange(port: int, request: bytes, *, timeout: float = 10.0) -> tuple[int, bytes, bytes]:
    """Send `request` (it should say `Connection: close`, or be one the server closes on) to 127.0.0.1."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, body
