"""The test and operator API under `/_admin/`: look at jobs and deliveries, change settings, break things."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.fal.core import CORE, SandboxCore
from sandbox.fal.engine import Job
from sandbox.fal.errors import ConfigError, NotFound, QueueError

routes = web.RouteTableDef()


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise QueueError("body must be a JSON object", status=400)
    return data


def _job(core: SandboxCore, request_id: str) -> Job:
    job = core.engine.jobs.get(request_id)
    if job is None:
        raise NotFound(f"Request {request_id} not found")
    return job


def _job_view(core: SandboxCore, job: Job) -> dict[str, Any]:
    deliveries = [d.as_dict() for d in core.deliverer.log if d.request_id == job.request_id]
    view = job.summary() | {"deliveries": deliveries, "logs": job.logs}
    if job.outcome is not None:
        view["result"] = job.outcome.body
    return view


@routes.get("/_admin/state")
async def state(request: web.Request) -> web.Response:
    core = request.app[CORE]
    return web.json_response({"config": core.config.as_dict(), "urls": {"https": core.urls.https,
                              "http": core.urls.http, "jwks": core.urls.jwks},
                              "kids": [k.kid for k in core.keys.keys], "jobs": len(core.engine.jobs),
                              "deliveries": len(core.deliverer.log)})


@routes.get("/_admin/jobs")
async def jobs(request: web.Request) -> web.Response:
    core = request.app[CORE]
    return web.json_response({"jobs": [_job_view(core, job) for job in core.engine.jobs.values()]})


@routes.get("/_admin/jobs/{request_id}")
async def job(request: web.Request) -> web.Response:
    core = request.app[CORE]
    return web.json_response(_job_view(core, _job(core, request.match_info["request_id"])))


@routes.post("/_admin/jobs/{request_id}/complete")
async def complete(request: web.Request) -> web.Response:
    """Finish a job now; `{"outcome": "ok" | "fail"}` forces the result, otherwise the usual rules apply."""
    core = request.app[CORE]
    job = _job(core, request.match_info["request_id"])
    outcome = (await _body(request)).get("outcome")
    if outcome not in (None, "ok", "fail"):
        raise QueueError("outcome must be 'ok' or 'fail'", status=400)
    core.engine.complete_now(job, outcome)
    return web.json_response({"request_id": job.request_id, "status": job.status})


@routes.post("/_admin/jobs/{request_id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    """Send the finished job's webhook once more (a duplicate, freshly signed)."""
    core = request.app[CORE]
    core.engine.redeliver(_job(core, request.match_info["request_id"]))
    return web.json_response({"deliveries": len(core.deliverer.log)})


@routes.get("/_admin/deliveries")
async def deliveries(request: web.Request) -> web.Response:
    core = request.app[CORE]
    wanted = request.query.get("request_id")
    log = [d.as_dict() for d in core.deliverer.log if wanted in (None, d.request_id)]
    return web.json_response({"deliveries": log})


@routes.get("/_admin/config")
async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[CORE].config.as_dict())


@routes.post("/_admin/config")
async def set_config(request: web.Request) -> web.Response:
    """Change settings (names as in SandboxConfig); applies to jobs and deliveries from now on."""
    core = request.app[CORE]
    changes = await _body(request)
    try:
        core.config.update(changes)
    except ConfigError as exc:
        raise QueueError(str(exc), status=400) from exc
    if "failure_seed" in changes:
        core.engine.reseed()
    core.set_urls(core.urls.https, core.urls.http)
    return web.json_response(core.config.as_dict())


@routes.post("/_admin/files")
async def files(request: web.Request) -> web.Response:
    """`{"available": false}` makes every file download answer 503, like FAL's file server being down."""
    core = request.app[CORE]
    available = (await _body(request)).get("available")
    if not isinstance(available, bool):
        raise QueueError("available must be a boolean", status=400)
    core.config.files_available = available
    return web.json_response({"available": available})


@routes.get("/_admin/keys")
async def keys(request: web.Request) -> web.Response:
    """The signing keys, private part included: throwaway keys, so tests can sign as the stand-in."""
    ring = request.app[CORE].keys
    return web.json_response({"current": ring.current.kid,
                              "keys": [{"kid": k.kid, "private_pem": k.private_pem(), "jwk": k.jwk()}
                                       for k in ring.keys]})


@routes.post("/_admin/keys/rotate")
async def rotate(request: web.Request) -> web.Response:
    """Sign with a new key from now on; `{"keep_old": false}` drops the old keys from the JWKS."""
    core = request.app[CORE]
    keep_old = (await _body(request)).get("keep_old", core.config.keep_old_keys)
    if not isinstance(keep_old, bool):
        raise QueueError("keep_old must be a boolean", status=400)
    new = core.keys.rotate(keep_old=keep_old)
    return web.json_response({"kid": new.kid, "jwks": core.keys.jwks()})


@routes.post("/_admin/reset")
async def reset(request: web.Request) -> web.Response:
    """Forget every job, delivery and file, and go back to the settings the stand-in started with."""
    await request.app[CORE].reset()
    return web.json_response({"reset": True})
