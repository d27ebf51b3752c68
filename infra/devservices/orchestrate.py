"""Bring the local services up or down as one set, and record where they listen."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from infra.cli_env import read_env_file as parse_env_file
from infra.devservices.postgres import Postgres
from infra.devservices.procs import write_private
from infra.devservices.redis_server import RedisServer
from infra.devservices.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

ENV_FILE = "services.env"
_EXTERNAL_MARK = "# external:"  # a comment line: which recorded servers are someone else's
_AWS_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


@dataclass
class ServiceSet:
    """Connection settings of the running set, and which of them this project started."""

    env: dict[str, str] = field(default_factory=dict)
    started_here: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def state_dir(root: Path) -> Path:
    return root / ".local"


def read_env_file(root: Path) -> dict[str, str]:
    path = state_dir(root) / ENV_FILE
    return parse_env_file(path) if path.exists() else {}


@contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    state_dir(root).mkdir(parents=True, exist_ok=True)
    with open(state_dir(root) / "services.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _recorded_external(root: Path) -> set[str]:
    path = state_dir(root) / ENV_FILE
    if not path.exists():
        return set()
    marks = [line[len(_EXTERNAL_MARK):].split() for line in path.read_text().splitlines()
             if line.startswith(_EXTERNAL_MARK)]
    return {name for names in marks for name in names}


def _external(service: str, name: str, environ: Mapping[str, str], recorded: Mapping[str, str],
              was_external: set[str]) -> str | None:
    """The URL of someone else's server to use, or None to use (and start) our own.

    Set in the environment and not our own recorded one: external. Recorded as external by an earlier
    run: still external, whether the environment repeats it (a sourced services.env) or is silent;
    `make stop` forgets it.
    """
    value = environ.get(name)
    if value and (value != recorded.get(name) or service in was_external):
        return value
    if not value and service in was_external and recorded.get(name):
        return recorded[name]
    return None


def up(root: Path, environ: Mapping[str, str] | None = None, migrate: bool = True) -> ServiceSet:
    environ = os.environ if environ is None else environ
    local = state_dir(root)
    with _exclusive(root):
        recorded = read_env_file(root)
        was_external = _recorded_external(root)
        result = ServiceSet()

        if (url := _external("postgres", "DATABASE_URL", environ, recorded, was_external)) is not None:
            result.env["DATABASE_URL"] = url
            result.external.append("postgres")
        else:
            result.env["DATABASE_URL"] = Postgres.url(Postgres(local / "pg").start())
            result.started_here.append("postgres")

        if (url := _external("redis", "REDIS_URL", environ, recorded, was_external)) is not None:
            result.env["REDIS_URL"] = url
            result.external.append("redis")
        else:
            result.env["REDIS_URL"] = RedisServer.url(RedisServer(local / "redis").start())
            result.started_here.append("redis")

        if (url := _external("s3", "S3_ENDPOINT_URL", environ, recorded, was_external)) is not None:
            result.env["S3_ENDPOINT_URL"] = url
            result.external.append("s3")
            for key in _AWS_KEYS:  # that server's credentials, kept with it (never the local ones)
                value = environ.get(key) or (recorded.get(key) if "s3" in was_external else None)
                if value:
                    result.env[key] = value
        else:
            result.env["S3_ENDPOINT_URL"] = S3Server.url(S3Server(local / "s3", root).start())
            result.env["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
            result.env["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
            result.env["AWS_DEFAULT_REGION"] = REGION
            result.started_here.append("s3")

        body = "".join(f"{key}={value}\n" for key, value in sorted(result.env.items()))
        if result.external:
            body = f"{_EXTERNAL_MARK} {' '.join(result.external)}\n" + body
        write_private(local / ENV_FILE, body)  # it holds credentials: the local S3's, an external server's

    if migrate:
        from infra.migrate import apply_migrations

        apply_migrations(result.env["DATABASE_URL"])
    return result


def down(root: Path) -> list[str]:
    local = state_dir(root)
    stopped: list[str] = []
    with _exclusive(root):
        if S3Server(local / "s3", root).stop():
            stopped.append("s3")
        if RedisServer(local / "redis").stop():
            stopped.append("redis")
        if Postgres(local / "pg").stop():
            stopped.append("postgres")
        (local / ENV_FILE).unlink(missing_ok=True)
    return stopped


def status(root: Path) -> dict[str, int | None]:
    local = state_dir(root)
    return {
        "postgres": Postgres(local / "pg").running_port(),
        "redis": RedisServer(local / "redis").running_port(),
        "s3": S3Server(local / "s3", root).running_port(),
    }
