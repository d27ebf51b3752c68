"""API Gateway REST (v1) proxy events in, Lambda proxy responses out."""

from __future__ import annotations

import base64
import json
from typing import Any


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


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
