"""Run the stand-in: ``TelegramSandbox`` on a background thread (pytest), ``serve`` in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from ..background import BackgroundLoop
from .config import SandboxConfig
from .core import SandboxCore
from .server import build_app

T = TypeVar("T")
RouteAdder = Callable[[web.Application], None]


class TelegramSandbox:
    """A Bot API stand-in on its own thread and event loop; ``start()`` returns once it listens.

    ``base_url`` is what ``TELEGRAM_API_BASE_URL`` (and PTB's ``Bot(base_url=...)``) wants,
    ``base_file_url`` PTB's ``base_file_url``; ``admin_url`` is the ``/_sandbox`` API.
    """

    def __init__(self, config: SandboxConfig | None = None, extra_routes: RouteAdder | None = None,
                 **overrides: Any) -> None:
        self.config = config or SandboxConfig(**overrides)
        self.core = SandboxCore(self.config)
        self._extra_routes = extra_routes
        self._background = BackgroundLoop("telegram-sandbox")
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- addresses -------------------------------------------------------------------------------------
    @property
    def token(self) -> str:
        return self.config.token

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox is not started")
        return self._port

    @property
    def url(self) -> str:
        return _http_url(self.config.host, self.port)

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def admin_url(self) -> str:
        return f"{self.url}/_sandbox"

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> TelegramSandbox:
        self._background.start(self._startup, self._shutdown)
        return self

    async def _startup(self) -> None:
        self.core.state.notifier.closed = False
        app = build_app(self.core, self._extra_routes)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self._port = _bound_port(self._runner)

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop(self) -> None:
        self._background.stop()

    def run(self, work: Callable[[SandboxCore], Awaitable[T] | Coroutine[Any, Any, T]] | None = None) -> T | None:
        """Run ``work(core)`` on the sandbox's loop and return its result (to poke the state from a test)."""
        if not self._background.running or work is None:
            return None

        async def wrapped() -> T:
            return await work(self.core)

        return self._background.call(wrapped, 60)

    def __enter__(self) -> TelegramSandbox:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    return int(address[1])


async def serve(config: SandboxConfig, extra_routes: RouteAdder | None = None,
                announce: Callable[[str], None] = print) -> None:
    """Serve in the current loop until SIGINT/SIGTERM or cancellation, announcing the URLs once listening."""
    core = SandboxCore(config)
    runner = web.AppRunner(build_app(core, extra_routes), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.port).start()
        url = _http_url(config.host, _bound_port(runner))
        announce(f"Telegram Bot API stand-in for @{config.bot_username}\n"
                 f"  TELEGRAM_API_BASE_URL={url}/bot\n  TELEGRAM_API_FILE_URL={url}/file/bot\n"
                 f"  TELEGRAM_BOT_TOKEN={config.token}\n  admin API: {url}/_sandbox")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
