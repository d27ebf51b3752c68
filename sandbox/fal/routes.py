"""FAL's queue API over HTTP, the file server and the JWKS (admin calls are in admin.py)."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.fal.core import CORE, SandboxCore
from sandbox.fal.engine import Job
from sandbox.fal.errors import QueueError, Unauthorized

routes = web.RouteTableDef()
run_routes = web.RouteTableDef()  # the run host (FAL_RUN_HOST): synchronous calls, no queue URLs
REQUEST = "/{owner}/{alias}/requests/{request_id}"


def _json(body: Any, status: int = 200, request_id: str | None = None) -> web.Response:
    headers = {"x-fal-request-id": request_id} if request_id else None
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def queue_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except QueueError as exc:
        return _json(exc.body, exc.status)


def _authorize(request: web.Request, core: SandboxCore) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("Missing authorization header. Send 'Authorization: Key <FAL_KEY>'.")
    if scheme.lower() != "key" or not hmac.compare_digest(token.strip().encode(), core.config.key.encode()):
        raise Unauthorized("No user found for Key ID and Secret")


def _job(request: web.Request) -> tuple[SandboxCore, Job]:
    core = request.app[CORE]
    _authorize(request, core)
    app_id = f"{request.match_info['owner']}/{request.match_info['alias']}"
    return core, core.engine.find(app_id, request.match_info["request_id"])


def request_urls(core: SandboxCore, job: Job) -> dict[str, str]:
    base = f"{core.urls.https}/{job.app_id}/requests/{job.request_id}"
    return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}


async def _arguments(request: web.Request) -> dict[str, Any]:
    try:
        arguments = await request.json() if request.can_read_body else {}
    except json.JSONDecodeError as exc:
        raise QueueError(f"Request body is not valid JSON: {exc}", status=422) from exc
    if not isinstance(arguments, dict):
        raise QueueError("Request body must be a JSON object", status=422)
    return arguments


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[CORE].keys.jwks(), headers={"Cache-Control": "max-age=86400"})


@routes.get("/files/{path:.+}")
async def download(request: web.Request) -> web.Response:
    core = request.app[CORE]
    if not core.config.files_available:
        return web.Response(status=503, text="503 Service Temporarily Unavailable",
                            headers={"Retry-After": "30"})
    stored = core.files.files.get(request.match_info["path"])
    if stored is None:
        return web.json_response({"detail": "File not found"}, status=404)
    return web.Response(body=stored.data, content_type=stored.content_type,
                        headers={"Content-Disposition": f'inline; filename="{stored.file_name}"'})


@routes.get(REQUEST + "/status")
async def status(request: web.Request) -> web.Response:
    core, job = _job(request)
    with_logs = request.query.get("logs", "0").lower() in {"1", "true", "yes"}
    return _json(core.engine.status(job, with_logs=with_logs) | request_urls(core, job), request_id=job.request_id)


@routes.get(REQUEST)
async def result(request: web.Request) -> web.Response:
    core, job = _job(request)
    outcome = core.engine.result(job)
    headers = {"x-fal-request-id": job.request_id}
    if outcome.error_type:
        headers["x-fal-error-type"] = outcome.error_type
    return web.json_response(outcome.body, status=outcome.status, headers=headers)


@routes.put(REQUEST + "/cancel")
async def cancel(request: web.Request) -> web.Response:
    core, job = _job(request)
    code, body = core.engine.cancel(job)
    return _json(body, code, request_id=job.request_id)


@routes.post("/{endpoint:(?!_admin/).+}")
async def submit(request: web.Request) -> web.Response:
    core = request.app[CORE]
    _authorize(request, core)
    arguments = await _arguments(request)
    webhook = request.query.get("fal_webhook")
    if webhook is not None and urlsplit(webhook).scheme not in ("http", "https"):
        raise QueueError(f"fal_webhook must be an http(s) URL, got {webhook!r}", status=422)
    job = core.engine.submit(request.match_info["endpoint"], arguments, webhook)
    body = {"request_id": job.request_id, "gateway_request_id": job.request_id, **request_urls(core, job),
            "queue_position": core.engine.queue_position(job)}
    return _json(body, request_id=job.request_id)


@run_routes.post("/{endpoint:.+}")
async def run(request: web.Request) -> web.Response:
    core = request.app[CORE]
    _authorize(request, core)
    outcome = await core.engine.run(request.match_info["endpoint"], await _arguments(request))
    headers = {"x-fal-error-type": outcome.error_type} if outcome.error_type else None
    return web.json_response(outcome.body, status=outcome.status, headers=headers)
