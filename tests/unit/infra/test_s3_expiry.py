from __future__ import annotations

from calendar import timegm
from time import strptime

from infra.devservices.s3_server import presigned_expired

SIGNED_AT = timegm(strptime("20261124T120000Z", "%Y%m%dT%H%M%SZ"))
V4 = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261124T120000Z&X-Amz-Expires=60&X-Amz-Signature=ab"


def test_sigv4_expiry() -> None:
    assert not presigned_expired(V4, SIGNED_AT + 60)
    assert presigned_expired(V4, SIGNED_AT + 61)


def test_sigv2_expiry_and_garbage() -> None:
    assert not presigned_expired("Expires=100&Signature=x", 100)
    assert presigned_expired("Expires=100&Signature=x", 101)
    assert presigned_expired("X-Amz-Date=yesterday&X-Amz-Expires=60", 0)
    assert not presigned_expired("list-type=2&prefix=a", 10**12)  # not presigned: not ours to judge
