"""API Gateway REST (v1) proxy integration: HTTP request -> Lambda event, Lambda answer -> HTTP response.

Pure functions over plain data (no sockets), so they are tested alone and shared by every front.

Decisions (documented here, as API Gateway's own behaviour depends on API settings):
- `identity.sourceIp` is the first address of `X-Forwarded-For` (set by nginx), else the TCP peer;
- `requestContext.path` is `/<stage><path>` as on the execute-api endpoint; `path` is the raw path;
- a body is passed as text when its Content-Type is textual (text/*, JSON, XML, form, none) and it is valid
  UTF-8; otherwise base64 with `isBase64Encoded: true` (as with binaryMediaTypes `*/*` for binary);
- a handler answer that is not a proxy response (not an object, `statusCode` not an int in 100..599,
  unknown keys, non-string body, bad base64) is "malformed": 502 {"message": "Internal server error"}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from local_runner.routes import Match

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded",
              "application/javascript", "application/graphql")
RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


@dataclass
class HttpRequest:
    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Sequence[tuple[str, str]]  # as received: repeated names kept, original case
    body: bytes
    peer: str
    received: float = field(default_factory=time.time)
    raw_path: str = ""  # as sent (percent-encoded), for route matching; `path` is decoded


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    ct = content_type.split(";")[0].strip().lower()
    return ct.startswith(TEXT_TYPES) or ct.endswith(("+json", "+xml"))


def _multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    return {k: v[-1] for k, v in multi.items()}, multi


def api_id(app_name: str) -> str:
    return hashlib.sha256(app_name.encode()).hexdigest()[:10]


def to_event(req: HttpRequest, match: Match, *, stage: str, request_id: str, account_id: str,
             app_name: str) -> dict[str, Any]:
    headers, multi_headers = _multi(req.headers)
    query, multi_query = _multi(req.query)
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    forwarded = lower.get("x-forwarded-for", "")
    source_ip = forwarded.split(",")[0].strip() or req.peer
    if req.body:
        text = _is_text(lower.get("content-type"))
        try:
            body: str | None = req.body.decode("utf-8") if text else None
        except UnicodeDecodeError:
            body = None
        encoded = body is None
        if encoded:
            body = base64.b64encode(req.body).decode()
    else:
        body, encoded = None, False
    domain = lower.get("host", "localhost")
    now = req.received
    return {
        "resource": match.route.path,
        "path": req.path,
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha256(match.route.path.encode()).hexdigest()[:6],
            "resourcePath": match.route.path,
            "httpMethod": req.method,
            "extendedRequestId": uuid.uuid4().hex[:16] + "=",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{req.path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": domain.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
                "sourceIp": source_ip, "principalOrgId": None, "accessKey": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None, "userArn": None,
                "userAgent": lower.get("user-agent"), "user": None,
            },
            "domainName": domain,
            "apiId": api_id(app_name),
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def _str(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def from_proxy_response(payload: bytes) -> HttpResponse | None:
    """The HTTP response of a Lambda proxy answer, or None when the answer is malformed."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or set(data) - RESPONSE_KEYS:
        return None
    status = data.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return None
    out: list[tuple[str, str]] = []
    multi = data.get("multiValueHeaders") or {}
    single = data.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        return None
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        for v in values:
            s = _str(v)
            if s is None:
                return None
            out.append((name, s))
    seen = {k.lower() for k in multi}
    for name, value in single.items():
        s = _str(value)
        if s is None:
            return None
        if name.lower() not in seen:
            out.append((name, s))
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        return None
    raw = (body or "").encode()
    if data.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body or "", validate=True)
        except (binascii.Error, ValueError):
            return None
    if not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", "application/json"))
    return HttpResponse(status, out, raw)


def error_response(status: int, body: dict[str, Any], extra: Sequence[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), *extra], json.dumps(body).encode())
