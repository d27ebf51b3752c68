"""FAL's webhook signature, made the way FAL makes it, and the stand-in's key ring with its JWKS.

The signed message is `request_id \\n user_id \\n timestamp \\n hex(sha256(raw body))` in UTF-8, signed with
Ed25519; the signature travels hex-encoded in `X-Fal-Webhook-Signature`. `sign_webhook` works with any key,
so tests can forge deliveries: a foreign key, a stale timestamp, a body changed after signing.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

REQUEST_ID_HEADER = "X-Fal-Webhook-Request-Id"
USER_ID_HEADER = "X-Fal-Webhook-User-Id"
TIMESTAMP_HEADER = "X-Fal-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Fal-Webhook-Signature"


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode("utf-8")


def sign_webhook(body: bytes, request_id: str, user_id: str, timestamp: int | str | None,
                 private_key: Ed25519PrivateKey) -> dict[str, str]:
    """The four headers of a FAL webhook delivery of `body`, signed with `private_key`.

    `timestamp` is Unix seconds (now when None); pass an old or future one to forge a stale delivery.
    """
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = private_key.sign(signed_message(request_id, user_id, stamp, body))
    return {
        REQUEST_ID_HEADER: request_id,
        USER_ID_HEADER: user_id,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature.hex(),
    }


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(public_key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": "EdDSA", "x": b64url(raw)}


@dataclass
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(kid=f"sandbox-{uuid.uuid4().hex[:12]}", private_key=Ed25519PrivateKey.generate())

    def jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key(), self.kid)

    def private_pem(self) -> str:
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode("ascii")


@dataclass
class KeyRing:
    """The current signing key first, then older keys still published in the JWKS."""

    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.generate()])

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def rotate(self, *, keep_old: bool = True) -> SigningKey:
        """Sign with a fresh key from now on; publish the old ones too when `keep_old`."""
        new = SigningKey.generate()
        self.keys = [new, *self.keys] if keep_old else [new]
        return new

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [key.jwk() for key in self.keys]}

    def sign(self, body: bytes, request_id: str, user_id: str, timestamp: int | None = None) -> dict[str, str]:
        return sign_webhook(body, request_id, user_id, timestamp, self.current.private_key)
