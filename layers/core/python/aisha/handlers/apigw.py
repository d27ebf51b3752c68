"""API Gateway REST (v1) proxy events in, Lambda proxy responses out."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aisha.errors import ClientError


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body as sent; ClientError (malformed_body) when it claims to be base64 and is not."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ClientError("the body is not valid base64", code="malformed_body") from None
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)


def headers(event: dict[str, Any]) -> dict[str, str]:
    """Single-value headers, names lower-cased (HTTP header names are case-insensitive)."""
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def json_response(status: int, body: dict[str, Any], extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(extra_headers or {})},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }
