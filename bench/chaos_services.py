"""PostgreSQL, Redis and S3 of the chaos suite's own, so that restarting them breaks nobody else's tests.

Each one can be broken and brought back on the same address, as an outage looks to the functions:
PostgreSQL is stopped and started again (`pg_ctl`, same port and data), Redis is stopped and started
again (same port; its append-only file keeps the Event queue), and the S3 endpoint (moto, which keeps
its objects in memory) sits behind a TCP relay that refuses connections while "down" and drops the
open ones, so the bucket survives the outage as MinIO's would.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from infra.devservices.postgres import Postgres, _as_owner, _bin
from infra.devservices.procs import free_port, pid_alive, spawn_detached, terminate, wait_until
from infra.devservices.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from infra.migrate import apply_migrations
from sandbox.background import BackgroundLoop

ROOT = Path(__file__).resolve().parents[1]


class Relay:
    """A loopback TCP relay to `target_port`; `down()` refuses new connections and cuts the open ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._loop = BackgroundLoop("chaos-relay")
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[object]] = set()

    def start(self) -> Relay:
        self._loop.start(self._listen, self._close)
        return self

    def up(self) -> None:
        self._loop.call(self._listen)

    def down(self) -> None:
        self._loop.call(self._close)

    def stop(self) -> None:
        self._loop.stop()  # its shutdown closes the listener and the open connections

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port, reuse_address=True)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._pipes):  # a pipe cut ends both its connections (even one still connecting)
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)  # none left pending when the loop closes

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        task.add_done_callback(self._pipes.discard)
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
        except OSError:
            pass
        finally:
            writer.transport.abort()
            if up_writer is not None:
                up_writer.transport.abort()


async def _copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    """One direction of a pipe; its end (or a failure) ends the other direction too."""
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        dst.transport.abort()


@dataclass
class ChaosServices:
    """Started by `start()`, all stopped by `stop()`; `env` holds their connection settings."""

    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aisha-chaos-")))
    env: dict[str, str] = field(default_factory=dict)
    _pg: Postgres | None = None
    _redis_pid: int | None = None
    _redis_port: int = 0
    _s3: S3Server | None = None
    _relay: Relay | None = None

    def start(self) -> ChaosServices:
        try:
            self._pg = Postgres(self.home / "pg")
            database_url = Postgres.url(self._pg.start())
            apply_migrations(database_url)
            self._redis_port = free_port()
            self._start_redis()
            self._s3 = S3Server(self.home / "s3", ROOT)
            self._relay = Relay(self._s3.start()).start()
        except BaseException:
            self.stop()
            raise
        self.env = {"DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{self._redis_port}/0",
                    "S3_ENDPOINT_URL": f"http://127.0.0.1:{self._relay.port}", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}
        return self

    # -- faults ------------------------------------------------------------------------------------
    def postgres_down(self) -> None:
        assert self._pg is not None
        self._pg.stop()  # fast shutdown: every session is cut

    def postgres_up(self) -> None:
        """`pg_ctl restart` starts a stopped cluster with the options it last ran with: the same port."""
        assert self._pg is not None
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(self._pg.data), "-l", str(self._pg.log), "-w",
                                  "-t", "60", "restart"]), check=True, capture_output=True)

    def redis_down(self) -> None:
        if self._redis_pid is not None:
            terminate(self._redis_pid)  # SIGTERM: redis writes its append-only file and exits
            self._redis_pid = None

    def redis_up(self) -> None:
        self._start_redis()

    def s3_down(self) -> None:
        assert self._relay is not None
        self._relay.down()

    def s3_up(self) -> None:
        assert self._relay is not None
        self._relay.up()

    # -- lifecycle ---------------------------------------------------------------------------------
    def _start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server not found: apt-get install -y redis-server")
        home = self.home / "redis"
        self._redis_pid = spawn_detached(
            [binary, "--port", str(self._redis_port), "--bind", "127.0.0.1", "--dir", str(home),
             "--appendonly", "yes", "--save", "", "--protected-mode", "yes"], home / "redis.log")
        import redis

        client = redis.Redis(port=self._redis_port, socket_timeout=1)

        def ready() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_until(ready, 20, "redis-server")
        finally:
            client.close()

    def stop(self) -> None:
        """Everything started here is stopped, whatever state a fault left it in; the folder is removed."""
        if self._relay is not None:
            self._relay.stop()
        if self._s3 is not None:
            self._s3.stop()
        if self._redis_pid is not None and pid_alive(self._redis_pid):
            terminate(self._redis_pid)
        if self._pg is not None:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._pg.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        if self._pg is not None and self._pg.home != self.home / "pg":  # a cluster the postgres user could reach
            shutil.rmtree(self._pg.home, ignore_errors=True)
