"""Which local services the test runs of this checkout started, so the last run to finish stops them.

Several runs may share one checkout's services at once (a full `make test` and a single file run
beside it): each registers its pid on start; the services found stopped by any of them are "owned by
the tests"; when the last live run leaves, it stops the owned ones. A service that ran before (a
developer's `make services`) is never owned, so it keeps running.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.devservices import status
from infra.devservices.orchestrate import state_dir
from infra.devservices.postgres import Postgres
from infra.devservices.procs import pid_alive
from infra.devservices.redis_server import RedisServer
from infra.devservices.s3 import S3Server


@contextmanager
def _registry(root: Path) -> Iterator[dict[str, Any]]:
    local = state_dir(root)
    local.mkdir(parents=True, exist_ok=True)
    path = local / "test-runs.json"
    with open(local / "test-runs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text()) if path.exists() else {}
            data = {"runs": [pid for pid in data.get("runs", []) if pid_alive(pid)],
                    "owned": list(data.get("owned", []))}
            yield data
            path.write_text(json.dumps(data))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def begin(root: Path) -> None:
    with _registry(root) as data:
        data["runs"].append(os.getpid())
        stopped = {name for name, port in status(root).items() if port is None}
        data["owned"] = sorted(set(data["owned"]) | stopped)


def end(root: Path) -> list[str]:
    """Leave; the last run stops what the tests started. Returns what was stopped."""
    with _registry(root) as data:
        data["runs"] = [pid for pid in data["runs"] if pid != os.getpid()]
        if data["runs"]:
            return []
        local = state_dir(root)
        stoppers = {"postgres": Postgres(local / "pg").stop, "redis": RedisServer(local / "redis").stop,
                    "s3": S3Server(local / "s3", root).stop}
        stopped = [name for name in data["owned"] if stoppers[name]()]
        data["owned"] = []
        if set(stoppers) <= set(stopped) | {n for n, p in status(root).items() if p is None}:
            (local / "services.env").unlink(missing_ok=True)  # nothing left running: no stale settings
        return stopped
