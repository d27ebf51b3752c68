"""Downloading FAL's result files (LoRA weights, images): FAL keeps them for days, we keep our copy.

One pooled client per worker process (per TLS context: tests change it between stand-ins): a generation's
images come from one file host, so they share connections and their TLS handshakes instead of opening one
per file, and a warm worker keeps them for the next result (httpx drops a pooled connection after 5 s idle;
one the host closed just as a request went on it fails that request, which is then sent once more).
"""

from __future__ import annotations

import ssl

import httpx

from aisha.errors import FalError
from aisha.tls import tls_context

MAX_FILE_BYTES = 1024 * 1024 * 1024
# what a kept connection that the host had just closed fails with; a GET is safe to send again
_STALE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


_clients: dict[ssl.SSLContext, httpx.Client] = {}


def _client() -> httpx.Client:
    context = tls_context()
    client = _clients.get(context)
    if client is None or client.is_closed:
        client = _clients[context] = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True,
                                                  verify=context)
    return client


def close_clients() -> None:
    """Close the pooled connections (a worker's end; tests that begin a fresh worker)."""
    while _clients:
        _, client = _clients.popitem()
        client.close()


def fetch_file(url: str) -> bytes:
    try:
        try:
            return _download(url)
        except _STALE:  # a pooled connection the host closed as the request went: once more, on a new one
            return _download(url)
    except httpx.HTTPError as exc:
        raise FalError(f"cannot download a result file: {exc.__class__.__name__}", code="fal_file_unavailable") from exc


def _download(url: str) -> bytes:
    with _client().stream("GET", url) as response:
        if response.status_code != 200:
            raise FalError(f"FAL file server answered {response.status_code} for a result file",
                           code="fal_file_unavailable", retryable=response.status_code >= 500)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise FalError("result file larger than 1 GB", code="fal_file_too_large", retryable=False)
            chunks.append(chunk)
        return b"".join(chunks)
