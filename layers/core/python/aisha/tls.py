"""One TLS context per worker process for every outbound HTTPS client (the Bot API, FAL's keys and files).

httpx builds a new context, loading the whole CA bundle, for every client it makes: 25 ms of CPU each on
a 2-core host, and python-telegram-bot's Bot makes two clients. The context here is built as httpx builds
its default (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set) and shared: an SSLContext may
serve any number of connections and threads. It is rebuilt only when those variables change, which in a
worker they do not (tests that point one process at several stand-ins do change them).
"""

from __future__ import annotations

import functools
import os
import ssl


def tls_context() -> ssl.SSLContext:
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    import httpx  # loaded only by the functions that make outbound HTTPS calls

    return httpx.create_ssl_context()  # reads the same two variables
