"""The process-lifetime clients a function uses: made on first use, kept across invocations.

A warm Lambda worker reuses its pool and clients, so they live here rather than per request;
nothing connects at import or construction, and each backend's library (psycopg, redis, boto3)
is imported by the property that builds its client, so a function pays only for what it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from aisha.config import Settings, load_settings

if TYPE_CHECKING:
    import redis

    from aisha.db import Database
    from aisha.storage import Storage


class Resources:
    CLOSED_AT_END: tuple[str, ...] = ("db", "redis")  # the cached clients `close` closes, if made

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Resources:
        return cls(load_settings(environ))

    def close(self) -> None:
        """Close the pools made so far, none made for it (a worker's end; tests that begin a fresh one)."""
        for name in self.CLOSED_AT_END:
            client = self.__dict__.pop(name, None)
            if client is not None:
                client.close()

    @cached_property
    def db(self) -> Database:
        from aisha.db import Database

        s = self.settings
        return Database(s.database_url, min_size=s.db_pool_min_size, max_size=s.db_pool_max_size,
                        timeout=s.service_timeout_seconds)

    @cached_property
    def redis(self) -> redis.Redis:
        from aisha.cache import redis_client

        return redis_client(self.settings.redis_url, timeout=self.settings.service_timeout_seconds)

    @cached_property
    def storage(self) -> Storage:
        from aisha.storage import Storage

        s = self.settings
        return Storage(endpoint_url=s.s3_endpoint_url, region=s.s3_region, presign_ttl=s.presign_ttl_seconds,
                       timeout=s.service_timeout_seconds)
