"""Verification of FAL's webhook signatures, exactly as FAL documents it.

The signed message is request id, user id and timestamp from the headers, and the hex SHA-256 of
the raw body, joined by newlines; the signature is Ed25519 by any key of FAL's JWKS; the timestamp
must be within 300 s of now.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from aisha.errors import WebhookRejected
from aisha.fal.jwks import JwksCache
from aisha.models import SignatureOutcome

TOLERANCE_SECONDS = 300
REQUEST_ID = "x-fal-webhook-request-id"
USER_ID = "x-fal-webhook-user-id"
TIMESTAMP = "x-fal-webhook-timestamp"
SIGNATURE = "x-fal-webhook-signature"
HEADERS = (REQUEST_ID, USER_ID, TIMESTAMP, SIGNATURE)


@dataclass(frozen=True)
class VerifiedDelivery:
    request_id: str
    user_id: str
    timestamp: int


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode("utf-8")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _verifies(keys: list[Ed25519PublicKey], signature: bytes, message: bytes) -> bool:
    for key in keys:
        try:
            key.verify(signature, message)
            return True
        except InvalidSignature:
            continue
    return False


def verify_webhook(headers: Mapping[str, str], body: bytes, jwks: JwksCache, *,
                   now: float | None = None) -> VerifiedDelivery:
    """Return the verified ids, or raise WebhookRejected saying why.

    FalError (jwks_unavailable) propagates when the keys cannot be fetched: that is our failure,
    answered with a 5xx so FAL delivers again later.
    """
    h = _lower(headers)
    missing = [name for name in HEADERS if not h.get(name)]
    if missing:
        raise WebhookRejected(f"missing header(s): {', '.join(missing)}", code="missing_header", status=400,
                              outcome=SignatureOutcome.MISSING)
    request_id, user_id, stamp, signature_hex = (h[name].strip() for name in HEADERS)
    try:
        timestamp = int(stamp)
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise WebhookRejected("timestamp or signature header is malformed", code="malformed_header", status=400,
                              outcome=SignatureOutcome.INVALID) from None
    now = time.time() if now is None else now
    skew = int(now) - timestamp  # in integers: a header of hundreds of digits cannot overflow a float
    if abs(skew) > TOLERANCE_SECONDS:
        away = f"{skew} s" if abs(skew) < 10**12 else "far"
        raise WebhookRejected(f"timestamp is {away} away from now (limit 300 s)",
                              code="stale_timestamp", status=401, outcome=SignatureOutcome.STALE)
    message = signed_message(request_id, user_id, stamp, body)
    if _verifies(jwks.keys(), signature, message):
        return VerifiedDelivery(request_id, user_id, timestamp)
    refreshed = jwks.refresh()  # the key may have rotated since we cached the set
    if refreshed is not None and _verifies(refreshed, signature, message):
        return VerifiedDelivery(request_id, user_id, timestamp)
    raise WebhookRejected("no key of FAL's JWKS verifies this signature", code="invalid_signature", status=401,
                          outcome=SignatureOutcome.INVALID)
