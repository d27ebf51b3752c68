"""Shared pieces of the admin API: the app key, JSON answers, errors and parameter parsing."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..core import SandboxCore
from ..errors import AdminError

CORE_KEY: web.AppKey[SandboxCore] = web.AppKey("telegram_sandbox_core", SandboxCore)
MAX_WAIT = 60.0
AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Files = list[tuple[bytes, str | None, str | None]]


def ok(result: Any, status: int = 200) -> web.Response:
    return web.json_response({"ok": True, "result": result}, status=status)



@web.middleware
async def admin_errors(request: web.Request, handler: AdminHandler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AdminError as exc:
        return web.json_response(exc.to_dict(), status=exc.status)
    except (ValueError, TypeError, KeyError) as exc:  # malformed admin input the handlers did not foresee
        error = AdminError(400, "bad_request", f"{type(exc).__name__}: {exc}")
        return web.json_response(error.to_dict(), status=400)


def core_of(request: web.Request) -> SandboxCore:
    return request.app[CORE_KEY]


def int_param(request: web.Request, name: str, default: int | None = None) -> int:
    raw = request.match_info.get(name) or request.query.get(name)
    if raw is None:
        if default is None:
            raise AdminError(400, "missing_parameter", f"{name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise AdminError(400, "bad_parameter", f"{name} must be an integer") from None


def wait_param(request: web.Request) -> float:
    try:
        return min(max(float(request.query.get("wait", "0")), 0.0), MAX_WAIT)
    except ValueError:
        raise AdminError(400, "bad_parameter", "wait must be a number of seconds") from None


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.body_exists else {}
    except ValueError:
        raise AdminError(400, "bad_json", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise AdminError(400, "bad_json", "the body must be a JSON object")
    return body


async def uploads(request: web.Request) -> tuple[Files, dict[str, Any]]:
    """Files from a multipart form (any field names) or JSON ``{"files": [{"data": base64, ...}]}``."""
    files: Files
    if request.content_type == "multipart/form-data":
        form = await request.post()
        files = [(f.file.read(), f.filename, f.content_type) for f in form.values() if isinstance(f, web.FileField)]
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return files, fields
    body = await json_body(request)
    try:
        files = [(base64.b64decode(f["data"]), f.get("file_name"), f.get("mime_type")) for f in body.get("files", [])]
    except (KeyError, TypeError, binascii.Error):
        raise AdminError(400, "bad_file", "files are {data: base64, file_name?, mime_type?}") from None
    return files, body
