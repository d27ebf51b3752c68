"""FAL's webhook signing keys (a JWKS of Ed25519 keys), cached per worker process.

The cache is kept at most `max_age` (24 h, as FAL asks); when no cached key verifies a delivery the
set is fetched again (a key may have rotated), but at most once per `min_refresh_interval`, so a
stream of forgeries cannot make us hammer FAL.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from threading import Lock

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from aisha.errors import FalError
from aisha.tls import tls_context

Fetch = Callable[[str], bytes]


def _http_get(url: str) -> bytes:
    """GET the JWKS; any failure is an OSError (httpx is loaded only when the keys are fetched)."""
    import httpx

    try:
        response = httpx.get(url, timeout=5.0, verify=tls_context())
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise OSError(f"{exc.__class__.__name__}: {exc}") from exc
    return response.content


def parse_jwks(raw: bytes) -> list[Ed25519PublicKey]:
    """Ed25519 keys of a JWKS document; other key types are skipped."""
    document = json.loads(raw)
    keys: list[Ed25519PublicKey] = []
    for entry in document.get("keys", []):
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or "x" not in entry:
            continue
        x = str(entry["x"])
        raw_key = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))  # JWK's x is unpadded base64url
        if len(raw_key) == 32:
            keys.append(Ed25519PublicKey.from_public_bytes(raw_key))
    return keys


class JwksCache:
    def __init__(self, url: str, *, fetch: Fetch = _http_get, clock: Callable[[], float] = time.monotonic,
                 max_age: float = 24 * 3600, min_refresh_interval: float = 60.0) -> None:
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._max_age = max_age
        self._min_refresh = min_refresh_interval
        self._keys: list[Ed25519PublicKey] = []
        self._fetched_at: float | None = None
        self._lock = Lock()

    def _load(self) -> None:
        try:
            keys = parse_jwks(self._fetch(self.url))
        except (ValueError, OSError) as exc:
            raise FalError(f"cannot fetch FAL's JWKS from {self.url}: {exc}", code="jwks_unavailable") from exc
        self._keys = keys
        self._fetched_at = self._clock()

    def keys(self) -> list[Ed25519PublicKey]:
        """The cached keys, fetched first when missing or older than max_age."""
        with self._lock:
            if self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age:
                self._load()
            return list(self._keys)

    def refresh(self) -> list[Ed25519PublicKey] | None:
        """Fetch again unless the last fetch was under min_refresh_interval ago (then None)."""
        with self._lock:
            if self._fetched_at is not None and self._clock() - self._fetched_at < self._min_refresh:
                return None
            self._load()
            return list(self._keys)
