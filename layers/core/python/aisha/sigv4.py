"""AWS Signature Version 4 for one request (header auth): stdlib only.

The Invoke API call is the only AWS request a webhook makes; signing it here spares every function
that hands work on the ~300 modules of boto3/botocore. Standard library only, so it is cheap to import.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials | None:
        """The variables Lambda sets from the execution role (and boto3's environment provider reads)."""
        key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            return None
        return cls(key, secret, environ.get("AWS_SESSION_TOKEN") or None)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def canonical_uri(path: str) -> str:
    """Every service but S3 signs each path segment URI-encoded twice (the sent path is encoded once)."""
    return "/".join(quote(quote(segment, safe="-_.~"), safe="-_.~") for segment in path.split("/")) or "/"


def sign(method: str, host: str, path: str, body: bytes, *, service: str, region: str,
         credentials: Credentials, now: datetime, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers to add to the request (Host, X-Amz-Date, token, Authorization).

    `path` is the raw (unencoded) path; send it encoded once with `quote(segment, safe="-_.~")`.
    `now` must be UTC.
    """
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed: dict[str, str] = {k.lower(): " ".join(str(v).split()) for k, v in (headers or {}).items()}
    signed["host"] = host
    signed["x-amz-date"] = amz_date
    if credentials.token:
        signed["x-amz-security-token"] = credentials.token
    names = sorted(signed)
    canonical = "\n".join([
        method.upper(), canonical_uri(path), "",
        "".join(f"{name}:{signed[name]}\n" for name in names), ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{credentials.secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out = {"Host": host, "X-Amz-Date": amz_date,
           "Authorization": f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                            f"SignedHeaders={';'.join(names)}, Signature={signature}"}
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    return out
