from __future__ import annotations

import base64
import json

import pytest
from aisha.fal import JwksCache, WebhookRejected, signed_message, verify_webhook
from aisha.models import SignatureOutcome
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

NOW = 1_795_000_000
BODY = json.dumps({"request_id": "req-1", "status": "OK", "payload": {"images": []}}).encode()


def jwk(key: Ed25519PrivateKey, kid: str = "k1") -> dict[str, str]:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}


class FakeJwksServer:
    """Counts fetches; `keys` is what it serves now."""

    def __init__(self, *keys: Ed25519PrivateKey) -> None:
        self.keys = list(keys)
        self.fetches = 0

    def __call__(self, url: str) -> bytes:
        self.fetches += 1
        return json.dumps({"keys": [jwk(k, f"k{i}") for i, k in enumerate(self.keys)]}).encode()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def headers_for(key: Ed25519PrivateKey, body: bytes = BODY, *, request_id: str = "req-1", user_id: str = "u-1",
                timestamp: int = NOW) -> dict[str, str]:
    signature = key.sign(signed_message(request_id, user_id, str(timestamp), body)).hex()
    return {"X-Fal-Webhook-Request-Id": request_id, "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": str(timestamp), "X-Fal-Webhook-Signature": signature}


@pytest.fixture
def fal_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _reject(headers: dict[str, str], body: bytes, cache: JwksCache, now: float = NOW) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        verify_webhook(headers, body, cache, now=now)
    return caught.value


def test_a_valid_signature_verifies(fal_key: Ed25519PrivateKey) -> None:
    cache = JwksCache("https://jwks", fetch=FakeJwksServer(Ed25519PrivateKey.generate(), fal_key))
    delivery = verify_webhook(headers_for(fal_key), BODY, cache, now=NOW + 299)
    assert (delivery.request_id, delivery.user_id, delivery.timestamp) == ("req-1", "u-1", NOW)


def test_forged_and_unknown_key_and_altered_body(fal_key: Ed25519PrivateKey) -> None:
    cache = JwksCache("https://jwks", fetch=FakeJwksServer(fal_key))
    forged = {**headers_for(fal_key), "X-Fal-Webhook-Signature": "ab" * 64}
    assert _reject(forged, BODY, cache).code == "invalid_signature"
    stranger = headers_for(Ed25519PrivateKey.generate())
    rejected = _reject(stranger, BODY, cache)
    assert (rejected.code, rejected.status, rejected.outcome) == ("invalid_signature", 401, SignatureOutcome.INVALID)
    altered = BODY[:-2] + bytes([BODY[-2] ^ 1]) + BODY[-1:]
    assert _reject(headers_for(fal_key), altered, cache).code == "invalid_signature"
    other_request = {**headers_for(fal_key), "X-Fal-Webhook-Request-Id": "req-2"}
    assert _reject(other_request, BODY, cache).code == "invalid_signature"


@pytest.mark.parametrize("offset", [-301, 301, 3600])
def test_stale_and_future_timestamps(fal_key: Ed25519PrivateKey, offset: int) -> None:
    server = FakeJwksServer(fal_key)
    cache = JwksCache("https://jwks", fetch=server)
    headers = headers_for(fal_key, timestamp=NOW + offset)
    rejected = _reject(headers, BODY, cache)
    assert (rejected.code, rejected.outcome) == ("stale_timestamp", SignatureOutcome.STALE)
    assert server.fetches == 0  # refused before any key is needed


@pytest.mark.parametrize("header", ["X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id",
                                    "X-Fal-Webhook-Timestamp", "X-Fal-Webhook-Signature"])
def test_each_header_is_required(fal_key: Ed25519PrivateKey, header: str) -> None:
    headers = headers_for(fal_key)
    del headers[header]
    rejected = _reject(headers, BODY, JwksCache("https://jwks", fetch=FakeJwksServer(fal_key)))
    assert (rejected.code, rejected.status) == ("missing_header", 400)
    assert header.lower() in rejected.message


def test_malformed_headers(fal_key: Ed25519PrivateKey) -> None:
    cache = JwksCache("https://jwks", fetch=FakeJwksServer(fal_key))
    assert _reject({**headers_for(fal_key), "X-Fal-Webhook-Timestamp": "soon"}, BODY, cache).code == \
        "malformed_header"
    assert _reject({**headers_for(fal_key), "X-Fal-Webhook-Signature": "zz"}, BODY, cache).code == \
        "malformed_header"


def test_a_rotated_key_is_fetched_again_at_most_once_a_minute(fal_key: Ed25519PrivateKey) -> None:
    server, clock = FakeJwksServer(fal_key), Clock()
    cache = JwksCache("https://jwks", fetch=server, clock=clock)
    verify_webhook(headers_for(fal_key), BODY, cache, now=NOW)
    assert server.fetches == 1

    rotated = Ed25519PrivateKey.generate()
    server.keys = [rotated]
    clock.t += 61
    verify_webhook(headers_for(rotated), BODY, cache, now=NOW)  # cached set fails -> refetch -> verifies
    assert server.fetches == 2

    for _ in range(5):  # forgeries within the minute cause no more fetches
        _reject(headers_for(Ed25519PrivateKey.generate()), BODY, cache)
    assert server.fetches == 2
    clock.t += 61
    _reject(headers_for(Ed25519PrivateKey.generate()), BODY, cache)
    assert server.fetches == 3


def test_the_cache_expires_after_a_day(fal_key: Ed25519PrivateKey) -> None:
    server, clock = FakeJwksServer(fal_key), Clock()
    cache = JwksCache("https://jwks", fetch=server, clock=clock)
    for _ in range(3):
        verify_webhook(headers_for(fal_key), BODY, cache, now=NOW)
    assert server.fetches == 1
    clock.t += 24 * 3600
    verify_webhook(headers_for(fal_key), BODY, cache, now=NOW)
    assert server.fetches == 2


def test_jwks_unreachable_is_an_upstream_error(fal_key: Ed25519PrivateKey) -> None:
    def down(url: str) -> bytes:
        raise OSError("connection refused")

    from aisha.errors import FalError
    with pytest.raises(FalError) as caught:
        verify_webhook(headers_for(fal_key), BODY, JwksCache("https://jwks", fetch=down), now=NOW)
    assert caught.value.code == "jwks_unavailable" and caught.value.retryable
