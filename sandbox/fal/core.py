"""Everything one stand-in instance holds, in one object the HTTP handlers reach through the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from sandbox.fal.apps import FileStore
from sandbox.fal.config import SandboxConfig
from sandbox.fal.engine import QueueEngine
from sandbox.fal.signing import KeyRing
from sandbox.fal.webhooks import Deliverer


@dataclass
class Urls:
    """Where the stand-in listens: `https` the queue host, `run` the run host (both TLS), `http` plain."""

    https: str = ""
    http: str = ""
    run: str = ""

    @property
    def host(self) -> str:
        """host:port of the queue listener, for FAL_QUEUE_RUN_HOST."""
        return self.https.split("://", 1)[1]

    @property
    def run_host(self) -> str:
        """host:port of the run listener, for FAL_RUN_HOST."""
        return self.run.split("://", 1)[1]

    @property
    def jwks(self) -> str:
        return f"{self.http}/.well-known/jwks.json"


@dataclass
class SandboxCore:
    config: SandboxConfig
    initial: SandboxConfig
    keys: KeyRing
    files: FileStore
    deliverer: Deliverer
    engine: QueueEngine
    urls: Urls = field(default_factory=Urls)

    @classmethod
    def create(cls, config: SandboxConfig) -> SandboxCore:
        keys, files = KeyRing(), FileStore()
        deliverer = Deliverer(config, keys)
        return cls(config, config.copy(), keys, files, deliverer, QueueEngine(config, keys, files, deliverer))

    def set_urls(self, https: str, http: str) -> None:
        self.urls.https, self.urls.http = https, http
        self.files.base_url = https if self.config.files_over_https else http

    async def reset(self) -> None:
        await self.engine.reset()
        for name, value in vars(self.initial.copy()).items():
            setattr(self.config, name, value)
        self.set_urls(self.urls.https, self.urls.http)
        self.engine.reseed()


CORE = web.AppKey("fal_sandbox_core", SandboxCore)
