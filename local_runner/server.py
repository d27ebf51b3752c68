"""`serve`: the runner, its HTTP front, the async event consumer and scheduler, signals and draining.

`/_runner/ready` answers 503 until every function's provisioned workers are initialised (and while
Redis, when configured, does not answer). SIGTERM (or SIGINT): /_runner/ready turns 503, the listening
socket closes, in-flight HTTP requests and invocations finish (up to `drain_timeout`), the event consumer
and scheduler stop, then the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from typing import Any

from local_runner.config import RunnerConfig
from local_runner.http_front import Front
from local_runner.http_server import HttpServer
from local_runner.manifest import load_manifest
from local_runner.reload import Reloader
from local_runner.runner import Runner

log = logging.getLogger("local_runner.server")
# Connections the kernel holds for the front until it accepts them (capped by net.core.somaxconn). Python's
# default of 128 overflowed under bursts: nginx's connects then timed out and it ejected healthy instances
# ("no live upstreams", 502 on every route for its fail_timeout).
LISTEN_BACKLOG = 4096


class AsyncParts:
    """The Event queue, consumer and scheduler (local_runner.async_events), when Redis is configured."""

    def __init__(self, runner: Runner, redis_url: str) -> None:
        from local_runner import async_events  # optional part: imported only when used

        registry = runner.metrics.registry
        self.queue = async_events.EventQueue(redis_url, registry=registry)
        self.consumer = async_events.EventConsumer(redis_url, runner, registry=registry,
                                                   functions=runner.manifest.functions)
        schedules = [async_events.ScheduledFunction(fn.name, s.expression, s.input, s.name)
                     for fn in runner.manifest.functions.values() for s in fn.schedules]
        self.scheduler = async_events.Scheduler(redis_url, runner, schedules, registry=registry)

        self._starter: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start now if Redis answers; else keep trying in the background (ready says redis: false)."""
        try:
            await asyncio.wait_for(self.consumer.start(), 5.0)
        except Exception as exc:
            log.error("event consumer not started (%s); retrying in the background", exc)
            self._starter = asyncio.create_task(self._start_later())
            return
        await self.scheduler.start()

    async def _start_later(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            try:
                await asyncio.wait_for(self.consumer.start(), 5.0)
            except Exception as exc:
                log.warning("event consumer still not started: %s", exc)
                continue
            await self.scheduler.start()
            log.info("event consumer and scheduler started")
            return

    async def stop(self) -> None:
        if self._starter is not None and not self._starter.done():
            self._starter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starter
            await self.queue.close()
            return
        await self.scheduler.stop()
        await self.consumer.stop()
        await self.queue.close()

    async def ready(self) -> dict[str, Any]:
        try:
            return {"redis": await asyncio.wait_for(self.queue.ping(), 2.0)}
        except Exception:
            return {"redis": False}


class Server:
    def __init__(self, config: RunnerConfig, host: str = "127.0.0.1", port: int = 8001, reload: bool = False,
                 drain_timeout: float = 30.0) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.reload = reload
        self.drain_timeout = drain_timeout
        environ = dict(os.environ)  # ${RUNNER_URL} in the manifest: this instance, for functions that invoke others
        environ.setdefault("RUNNER_URL", f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}")
        self.manifest = load_manifest(config.manifest, config.stage, environ)
        self.runner = Runner(self.manifest, config)
        self.front: Front | None = None
        self.async_parts: AsyncParts | None = None
        self.http: HttpServer | None = None
        self._reloader: Reloader | None = None
        self.stopping = asyncio.Event()

    async def start(self) -> None:
        # The port first: one taken (by anything since the caller found it free) fails here, before a worker
        # or a consumer exists. Found later, the half-started process hung on its way out.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self.port), family=family, backlog=LISTEN_BACKLOG)
        try:
            await self._start(sock)
        except BaseException:
            sock.close()
            if self.async_parts is not None:
                await self.async_parts.stop()
            await self.runner.stop(0)
            raise

    async def _start(self, sock: socket.socket) -> None:
        await self.runner.start()
        if self.config.redis_url:
            self.async_parts = AsyncParts(self.runner, self.config.redis_url)
            await self.async_parts.start()
        parts = self.async_parts
        self.front = Front(self.runner, events=parts.queue if parts else None, api_timeout=self.config.api_timeout,
                           extra_ready=self.ready_checks)
        # the runner's largest request is the Invoke API's 6 MB; a body over it is answered 413, not kept
        self.http = HttpServer(self.front.serve, max_body=self.config.max_body_bytes)
        await self.http.start(sock, LISTEN_BACKLOG)
        if self.reload:
            self._reloader = Reloader(self.runner)
            self._reloader.start()
        log.info("serving %d functions on http://%s:%d (stage %s)", len(self.manifest.functions), self.host,
                 self.port, self.manifest.stage)

    async def ready_checks(self) -> dict[str, Any]:
        """Beyond the front's own: provisioned workers initialised, Redis reachable when configured."""
        checks: dict[str, Any] = {"provisioned": self.runner.provisioned_ready()}
        if self.async_parts is not None:
            checks.update(await self.async_parts.ready())
        return checks

    async def stop(self) -> None:
        assert self.front is not None and self.http is not None
        log.info("draining: %d requests in flight", self.http.in_flight)
        self.front.draining = self.http.draining = True
        if self._reloader is not None:
            await self._reloader.stop()
        await self.http.stop_listening()  # no new connections; requests in flight go on
        await self.http.wait_idle(self.drain_timeout)
        if self.async_parts is not None:
            await self.async_parts.stop()
        await self.runner.stop(self.drain_timeout)
        await self.http.close()
        log.info("stopped")

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        await self.start()
        try:
            await self.stopping.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)
            await self.stop()
