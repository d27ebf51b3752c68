"""API Gateway REST (v1) proxy integration: HTTP request -> Lambda event, Lambda answer -> HTTP response.

Pure functions over plain data (no sockets), so they are tested alone and shared by every front.

Decisions (documented here, as API Gateway's own behaviour depends on API settings):
- `identity.sourceIp` is the TCP peer, as API Gateway's is. Only when the peer is one of the configured
  trusted proxies (RUNNER_TRUSTED_PROXIES, none by default) is `X-Forwarded-For` read: from the right, the
  first address that is not itself a trusted proxy. A hop that is not an IP address ends the walk: such a
  value never reaches `sourceIp`;
- `requestContext.path` is `/<stage><path>` as on the execute-api endpoint; `path` is the raw path;
- binary media types (the manifest's `binary_media_types`, API Gateway's `binaryMediaTypes`): a request body
  whose Content-Type matches one is base64 with `isBase64Encoded: true`; any other body is UTF-8 text (bytes
  that are not UTF-8 are replaced, as API Gateway passes text). A response with `isBase64Encoded: true` is
  decoded to bytes only when the first media type of the request's `Accept` header matches one (API
  Gateway looks at the first Accept type only); otherwise its body (the base64 text) is sent as it is;
- a handler answer that is not a proxy response (not an object, `statusCode` not an int in 100..599,
  unknown keys, non-string body, bad base64) is "malformed": 502 {"message": "Internal server error"}.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import functools
import hashlib
import ipaddress
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from local_runner import ids
from local_runner.config import Network
from local_runner.routes import Match

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
    too_large: bool = False  # the body was over the server's limit: not kept (`body` is empty)
    content_length: int | None = None  # as announced (or as counted when the body went over the limit)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter."""
        return next((v for k, v in self.query if k == name), None)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@functools.lru_cache(maxsize=512)
def is_binary(media_type: str | None, binary_types: tuple[str, ...]) -> bool:
    """Does this Content-Type (or Accept type) match one of the binary media types (`*` wildcards)?"""
    if not media_type or not binary_types:
        return False
    mt = media_type.split(";")[0].strip().lower()
    return bool(mt) and any(fnmatch.fnmatchcase(mt, pattern) for pattern in binary_types)


def first_accept(accept: str | None) -> str | None:
    return accept.split(",")[0] if accept else None


@functools.lru_cache(maxsize=1024)
def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def source_ip(peer: str, forwarded: str | None, trusted: tuple[Network, ...]) -> str:
    """The client address: the peer, unless a trusted proxy forwarded the request (see the module doc)."""
    if not trusted or not forwarded:
        return peer
    hop = _ip(peer)
    if hop is None or not any(hop in net for net in trusted):
        return peer
    for raw in reversed(forwarded.split(",")):
        addr = _ip(raw)
        if addr is None:  # not an address: nothing further left can be believed
            break
        hop = addr
        if not any(addr in net for net in trusted):
            break
    return str(hop)


def _multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    return {k: v[-1] for k, v in multi.items()}, multi


@functools.lru_cache(maxsize=64)
def api_id(app_name: str) -> str:
    return hashlib.sha256(app_name.encode()).hexdigest()[:10]


@functools.lru_cache(maxsize=1024)
def _resource_id(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:6]


@functools.lru_cache(maxsize=4)
def _request_time(second: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


def to_event(req: HttpRequest, match: Match, *, stage: str, request_id: str, account_id: str,
             app_name: str, binary_types: tuple[str, ...] = (),
             trusted_proxies: tuple[Network, ...] = ()) -> dict[str, Any]:
    headers, multi_headers = _multi(req.headers)
    query, multi_query = _multi(req.query)
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    body: str | None = None
    encoded = False
    if req.body:
        encoded = is_binary(lower.get("content-type"), binary_types)
        body = base64.b64encode(req.body).decode() if encoded else req.body.decode("utf-8", "replace")
    client_ip = source_ip(req.peer, lower.get("x-forwarded-for"), trusted_proxies)
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
            "resourceId": _resource_id(match.route.path),
            "resourcePath": match.route.path,
            "httpMethod": req.method,
            "extendedRequestId": ids.hex_id(16) + "=",
            "requestTime": _request_time(int(now)),
            "path": f"/{stage}{req.path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": domain.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
                "sourceIp": client_ip, "principalOrgId": None, "accessKey": None,
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


def from_proxy_response(payload: bytes, accept: str | None = None,
                        binary_types: tuple[str, ...] = ()) -> HttpResponse | None:
    """The HTTP response of a Lambda proxy answer, or None when the answer is malformed.

    `accept` is the request's Accept header: a base64 body is decoded only when its first type is binary."""
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
            decoded = base64.b64decode(body or "", validate=True)
        except (binascii.Error, ValueError):
            return None
        if is_binary(first_accept(accept), binary_types):
            raw = decoded
    if not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", "application/json"))
    return HttpResponse(status, out, raw)


def error_response(status: int, body: dict[str, Any], extra: Sequence[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), *extra], json.dumps(body).encode())
