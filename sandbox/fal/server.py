"""The FAL stand-in as a server: TLS listener for fal-client, plain HTTP listener, in-process or standalone."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from sandbox.background import BackgroundLoop
from sandbox.fal import admin, routes
from sandbox.fal.config import SandboxConfig
from sandbox.fal.core import CORE, SandboxCore
from sandbox.fal.tls import CertFiles, ensure_certificates

T = TypeVar("T")


def build_app(core: SandboxCore, *, run_host: bool = False) -> web.Application:
    """The queue host's application (queue API, files, JWKS, admin), or the run host's (`run_host=True`)."""
    app = web.Application(middlewares=[routes.queue_errors], client_max_size=64 * 1024**2)
    app[CORE] = core
    if run_host:
        app.add_routes(routes.run_routes)
        return app
    app.add_routes(admin.routes)
    app.add_routes(routes.routes)
    return app


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class FalSandbox:
    """A local FAL: `start()`/`stop()` on a thread of its own (for pytest), or `serve()` inside a loop.

    `port` is the queue host's TLS port, `run_port` the run host's (fal-client's `run()`), `http_port` the
    plain one (JWKS, files, admin; the queue API answers there too); 0 picks a free port. Certificates go to
    `cert_dir` (created if needed, reused while valid).
    """

    def __init__(self, cert_dir: Path | str, config: SandboxConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, http_port: int = 0, run_port: int = 0) -> None:
        self.cert_dir = Path(cert_dir)
        self.core = SandboxCore.create(config or SandboxConfig())
        self.host, self.port, self.http_port, self.run_port = host, port, http_port, run_port
        self.certs: CertFiles | None = None
        self._runners: list[web.AppRunner] = []
        self._background = BackgroundLoop("fal-sandbox")

    # in a running loop ----------------------------------------------------------------------------------
    async def serve(self) -> None:
        """Start listening in the current loop (returns once both listeners are up)."""
        self.certs = await asyncio.to_thread(ensure_certificates, self.cert_dir)
        socks = [_listen(self.host, port) for port in (self.port, self.http_port, self.run_port)]
        self.port, self.http_port, self.run_port = (sock.getsockname()[1] for sock in socks)
        self.core.set_urls(_url("https", self.host, self.port), _url("http", self.host, self.http_port))
        self.core.urls.run = _url("https", self.host, self.run_port)
        await self.core.deliverer.start()
        context = self.certs.server_context()
        queue = web.AppRunner(build_app(self.core), access_log=None, handle_signals=False)
        run = web.AppRunner(build_app(self.core, run_host=True), access_log=None, handle_signals=False)
        self._runners = [queue, run]
        for runner in self._runners:
            await runner.setup()
        await web.SockSite(queue, socks[0], ssl_context=context).start()
        await web.SockSite(queue, socks[1]).start()
        await web.SockSite(run, socks[2], ssl_context=context).start()

    async def close(self) -> None:
        await self.core.engine.reset()
        await self.core.deliverer.close()
        for runner in self._runners:
            await runner.cleanup()
        self._runners = []

    # on a thread of its own ------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> FalSandbox:
        self._background.start(self.serve, self.close, timeout)
        return self

    def stop(self) -> None:
        self._background.stop()

    def __enter__(self) -> FalSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
        """Run `fn()` on the stand-in's loop from another thread and return its result."""
        return self._background.call(fn, timeout)

    # what clients need --------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.core.urls.https

    @property
    def http_url(self) -> str:
        return self.core.urls.http

    @property
    def jwks_url(self) -> str:
        return self.core.urls.jwks

    @property
    def admin_url(self) -> str:
        return f"{self.core.urls.http}/_admin"

    def client_env(self) -> dict[str, str]:
        """Environment of a process that talks to this stand-in as if it were FAL (fal-client, httpx)."""
        if self.certs is None:
            raise RuntimeError("FalSandbox is not started")
        return {
            "FAL_KEY": self.core.config.key,
            "FAL_RUN_HOST": self.core.urls.run_host,
            "FAL_QUEUE_RUN_HOST": self.core.urls.host,
            "SSL_CERT_FILE": str(self.certs.bundle),
            "FAL_JWKS_URL": self.core.urls.jwks,
        }

    # conveniences for tests (thread-safe) ---------------------------------------------------------------
    def configure(self, **changes: Any) -> None:
        async def apply() -> None:
            self.core.config.update(changes)
            if "failure_seed" in changes:
                self.core.engine.reseed()
            self.core.set_urls(self.core.urls.https, self.core.urls.http)

        self.call(apply)

    def rotate_key(self, *, keep_old: bool = True) -> str:
        async def rotate() -> str:
            return self.core.keys.rotate(keep_old=keep_old).kid

        return self.call(rotate)

    def reset(self) -> None:
        self.call(self.core.reset)

    def jobs(self) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            return [job.summary() for job in self.core.engine.jobs.values()]

        return self.call(read)

    def deliveries(self, request_id: str | None = None) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            return [d.as_dict() for d in self.core.deliverer.log if request_id in (None, d.request_id)]

        return self.call(read)
