"""One HTTP/1.1 exchange over a plain socket, for requests an HTTP client refuses to send (a garbage
request line, TRACE): the status, the head and the body as they came."""

from __future__ import annotations

import socket


def exchange(port: int, request: bytes, *, timeout: float = 10.0) -> tuple[int, bytes, bytes]:
    """Send `request` to 127.0.0.1 and read one answer: by its Content-Length when it has one, else to the
    connection's end (then the request should say `Connection: close`, or be one the server closes on); not
    a HEAD, whose answer has a length and no body.
    Reading by length matters: after refusing a body it will not read, nginx keeps the connection open for
    lingering_timeout (5 s) in case the client sends it anyway."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                       if line.lower().startswith(b"content-length:")), None)
        while (length is None or len(body) < length) and (chunk := sock.recv(65536)):
            body += chunk
    return int(head.split()[1]), head, body
