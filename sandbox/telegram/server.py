"""The HTTP face: Bot API at ``/bot<token>/<method>``, downloads at ``/file/bot<token>/<path>``, admin under
``/_sandbox``. A chat page (later) is one more set of routes added to the same app with ``extra_routes``.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from .admin import CORE_KEY, add_admin_routes, admin_errors
from .core import SandboxCore
from .errors import BotApiError, not_found, unauthorized
from .params import read_params

_MB = 1024 * 1024


async def bot_api(request: web.Request) -> web.Response:
    core = request.app[CORE_KEY]
    token, method = request.match_info["token"], request.match_info["method"]
    if not core.api.token_ok(token):
        return web.json_response(unauthorized().to_dict(), status=401)
    try:
        params = await read_params(request, core.config.max_upload_size)
    except BotApiError as exc:
        return web.json_response(exc.to_dict(), status=exc.error_code)
    status, body = await core.api.handle(token, method, params)
    return web.json_response(body, status=status)


async def download(request: web.Request) -> web.Response:
    core = request.app[CORE_KEY]
    if not core.api.token_ok(request.match_info["token"]):
        return web.json_response(unauthorized().to_dict(), status=401)
    stored = core.files.by_path(request.match_info["path"])
    if stored is None or stored.file_size > core.config.max_download_size:
        return web.json_response(not_found().to_dict(), status=404)
    return web.Response(body=stored.data, content_type=stored.mime_type)


def build_app(core: SandboxCore, extra_routes: Callable[[web.Application], None] | None = None) -> web.Application:
    """The aiohttp application of one instance; ``extra_routes`` may add more (the chat page)."""
    app = web.Application(middlewares=[admin_errors], client_max_size=200 * _MB)
    app[CORE_KEY] = core
    app.router.add_route("*", r"/bot{token:[^/]+}/{method:[^/]+}", bot_api)
    app.router.add_get(r"/file/bot{token:[^/]+}/{path:.+}", download)
    add_admin_routes(app)
    if extra_routes is not None:
        extra_routes(app)

    async def release_waiters(_: web.Application) -> None:
        core.state.notifier.close()

    async def close_core(_: web.Application) -> None:
        await core.close()

    app.on_shutdown.append(release_waiters)
    app.on_cleanup.append(close_core)
    return app
