"""Signatures the stand-in makes verify the way FAL documents, and with the project's own verifier."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from aisha.fal.jwks import JwksCache
from aisha.fal.signature import WebhookRejected, verify_webhook
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sandbox.fal import KeyRing, sign_webhook

BODY = json.dumps({"request_id": "r1", "gateway_request_id": "r1", "status": "OK", "payload": {}}).encode()


def public_from_jwk(jwk: dict[str, str]) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4)))


def test_headers_carry_a_hex_ed25519_signature_over_fals_message() -> None:
    key = Ed25519PrivateKey.generate()
    headers = sign_webhook(BODY, "r1", "u1", 1_700_000_000, key)
    assert headers["X-Fal-Webhook-Request-Id"] == "r1" and headers["X-Fal-Webhook-User-Id"] == "u1"
    assert headers["X-Fal-Webhook-Timestamp"] == "1700000000"
    message = f"r1\nu1\n1700000000\n{hashlib.sha256(BODY).hexdigest()}".encode()
    key.public_key().verify(bytes.fromhex(headers["X-Fal-Webhook-Signature"]), message)
    with pytest.raises(InvalidSignature):
        key.public_key().verify(bytes.fromhex(headers["X-Fal-Webhook-Signature"]), message + b"x")


def test_timestamp_defaults_to_now() -> None:
    headers = sign_webhook(BODY, "r1", "u1", None, Ed25519PrivateKey.generate())
    assert abs(int(headers["X-Fal-Webhook-Timestamp"]) - time.time()) < 5


def test_jwks_is_okp_ed25519_with_unpadded_x_and_rotation_keeps_or_drops() -> None:
    ring = KeyRing()
    first = ring.current
    (jwk,) = ring.jwks()["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["kid"]) == ("OKP", "Ed25519", first.kid) and "=" not in jwk["x"]
    raw = first.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert public_from_jwk(jwk).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw
    second = ring.rotate(keep_old=True)
    assert [k["kid"] for k in ring.jwks()["keys"]] == [second.kid, first.kid] and ring.current is second
    third = ring.rotate(keep_old=False)
    assert [k["kid"] for k in ring.jwks()["keys"]] == [third.kid]


def test_the_projects_verifier_accepts_the_stand_ins_deliveries_and_rejects_forgeries() -> None:
    ring = KeyRing()
    jwks = JwksCache("sandbox", fetch=lambda url: json.dumps(ring.jwks()).encode())
    now = int(time.time())
    assert verify_webhook(ring.sign(BODY, "r1", "u1", now), BODY, jwks).request_id == "r1"
    with pytest.raises(WebhookRejected):
        verify_webhook(ring.sign(BODY, "r1", "u1", now), BODY[:-1] + b" ", jwks)  # body altered by one byte
    with pytest.raises(WebhookRejected):
        verify_webhook(ring.sign(BODY, "r1", "u1", now - 301), BODY, jwks)  # stale
    with pytest.raises(WebhookRejected):
        verify_webhook(sign_webhook(BODY, "r1", "u1", now, Ed25519PrivateKey.generate()), BODY, jwks)  # foreign
