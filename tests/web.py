"""The suite's HTTP calls, sharing one TLS context.

httpx builds a TLS context, reading the whole CA bundle, for every client it makes, and a top-level
`httpx.get` or `httpx.post` makes a client per call: about 29 ms of CPU each. Profiled, that was a sixth
of `make test`'s CPU. These take the same arguments as httpx's own and pass the core layer's shared
context unless the caller brings one.
"""

from __future__ import annotations

from typing import Any

import httpx
from aisha.tls import tls_context


def client(**kwargs: Any) -> httpx.Client:
    kwargs.setdefault("verify", tls_context())
    return httpx.Client(**kwargs)


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("verify", tls_context())
    return httpx.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)
