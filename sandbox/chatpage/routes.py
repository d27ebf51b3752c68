"""The chat page's routes on the stand-in's own aiohttp app: the page at ``/`` and ``/chat``, its static
files under ``/chat/static/``. Everything the page does goes through the stand-in's ``/_sandbox`` admin API
on the same origin, so the page needs no server code of its own.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/chat/static"
PAGE_PATHS = ("/", "/chat")
_NO_CACHE = {"Cache-Control": "no-cache"}


async def _page(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=_NO_CACHE)


async def _asset(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=_NO_CACHE)


def add_chat_page(app: web.Application) -> None:
    """Add the page to a stand-in app (the ``extra_routes`` hook of ``TelegramSandbox`` and ``build_app``)."""
    for path in PAGE_PATHS:
        app.router.add_get(path, _page)
    app.router.add_get(STATIC_PREFIX + r"/{name:[A-Za-z0-9_.-]+}", _asset)
