"""Test helpers: a local webhook receiver on its own thread and image bytes."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web
from PIL import Image

Behaviour = Callable[[dict[str, Any]], "int | tuple[int, dict[str, Any]]"]


class Receiver:
    """A webhook endpoint on its own thread: records every POST and answers what ``behaviour`` says."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.behaviour: Behaviour = lambda update: 200
        self.delay = 0.0
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _hook(self, request: web.Request) -> web.Response:
        update = await request.json()
        answer = self.behaviour(update)
        status, body = answer if isinstance(answer, tuple) else (answer, None)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._changed:
            self.requests.append({"headers": dict(request.headers), "update": update, "status": status})
            self._changed.notify_all()
        if body is not None:
            return web.json_response(body, status=status)
        return web.Response(status=status, text="ok" if status < 300 else "boom")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    def start(self) -> Receiver:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def wait(self, count: int, timeout: float = 10.0, ok_only: bool = False) -> list[dict[str, Any]]:
        def matching() -> list[dict[str, Any]]:
            return [r for r in self.requests if not ok_only or r["status"] < 300]

        with self._changed:
            self._changed.wait_for(lambda: len(matching()) >= count, timeout)
            found = matching()
        assert len(found) >= count, f"{len(found)} of {count} deliveries: {json.dumps(found)[:500]}"
        return found

    def updates(self, ok_only: bool = True) -> list[dict[str, Any]]:
        return [r["update"] for r in self.requests if not ok_only or r["status"] < 300]


def image(width: int = 900, height: int = 600, color: tuple[int, int, int] = (200, 30, 30), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()
