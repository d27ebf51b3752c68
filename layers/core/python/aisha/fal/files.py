"""Downloading FAL's result files (LoRA weights, images): FAL keeps them for days, we keep our copy."""

from __future__ import annotations

import httpx

from aisha.errors import FalError
from aisha.tls import tls_context

MAX_FILE_BYTES = 1024 * 1024 * 1024


def fetch_file(url: str) -> bytes:
    try:
        with httpx.stream("GET", url, timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True,
                          verify=tls_context()) as response:
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
    except httpx.HTTPError as exc:
        raise FalError(f"cannot download a result file: {exc.__class__.__name__}", code="fal_file_unavailable") from exc
