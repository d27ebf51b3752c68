"""A project-local redis-server with append-only persistence (the async queue lives there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import redis

from infra.devservices.procs import free_port, pid_alive, read_pid, spawn_detached, terminate, wait_until


class RedisServer:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.pidfile = home / "redis.pid"
        self.portfile = home / "port"

    def running_port(self) -> int | None:
        pid = read_pid(self.pidfile)
        port = read_pid(self.portfile)
        if pid is None or port is None or not pid_alive(pid):
            return None
        try:
            redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping()
        except redis.RedisError:
            return None
        return port

    def start(self) -> int:
        port = self.running_port()
        if port is not None:
            return port
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server not found: apt-get install -y redis-server")
        self.home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        pid = spawn_detached(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.home),
             "--appendonly", "yes", "--save", "", "--protected-mode", "yes"],
            self.home / "redis.log",
        )
        self.pidfile.write_text(str(pid))
        self.portfile.write_text(str(port))
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)

        def ready() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_until(ready, 20, "redis-server")
        return port

    def stop(self) -> bool:
        pid = read_pid(self.pidfile)
        if pid is None or not pid_alive(pid):
            return False
        terminate(pid)
        self.pidfile.unlink(missing_ok=True)
        return True

    @staticmethod
    def url(port: int) -> str:
        return f"redis://127.0.0.1:{port}/0"
