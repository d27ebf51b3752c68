"""A running FAL stand-in and a webhook receiver that checks FAL's signature on its own, with `cryptography`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sandbox.fal import FalSandbox, SandboxConfig
from tests import web as http

FAST = SandboxConfig(queue_delay=0.2, processing_delay=0.2, retry_time_scale=0.001, webhook_timeout=2.0)


@pytest.fixture(scope="module")
def fal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FalSandbox]:
    with FalSandbox(tmp_path_factory.mktemp("fal-certs"), FAST.copy()) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(fal: FalSandbox) -> FalSandbox:
    """The module's stand-in, emptied and back to its first settings for each test."""
    fal.reset()
    return fal


def jwks_keys(url: str) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for jwk in http.get(url, timeout=5).json()["keys"]:
        assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def verify(headers: dict[str, str], body: bytes, jwks_url: str) -> str | None:
    """The kid of the JWKS key that verifies this delivery, or None. Written from FAL's docs, not the stand-in."""
    request_id = headers["X-Fal-Webhook-Request-Id"]
    user_id = headers["X-Fal-Webhook-User-Id"]
    stamp = headers["X-Fal-Webhook-Timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return None
    message = f"{request_id}\n{user_id}\n{stamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    signature = bytes.fromhex(headers["X-Fal-Webhook-Signature"])
    for kid, key in jwks_keys(jwks_url).items():
        try:
            key.verify(signature, message)
            return kid
        except InvalidSignature:
            continue
    return None


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    kid: str | None
    answered: int


@dataclass
class Receiver:
    """Our side of the webhook: answers `fail_first` deliveries with 500 (after `stall` seconds), then 200."""

    jwks_url: str
    url: str = ""
    fail_first: int = 0
    stall: float = 0.0
    arrivals: int = 0
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.arrivals += 1
        failing = self.arrivals <= self.fail_first
        body = await request.read()
        if failing and self.stall:
            await asyncio.sleep(self.stall)
        kid = await asyncio.to_thread(verify, dict(request.headers), body, self.jwks_url)
        status = 500 if failing else 200
        self.received.append(Received(dict(request.headers), body, kid, status))
        return web.json_response({"ok": status == 200}, status=status)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.received):
                return self.received
            time.sleep(0.05)
        raise AssertionError(f"receiver: condition not met in {timeout} s; got {len(self.received)} deliveries")


@pytest.fixture
def receiver(sandbox: FalSandbox) -> Iterator[Receiver]:
    state = Receiver(jwks_url=sandbox.jwks_url)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    state.url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook/fal/status"
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/webhook/fal/status", state.handle)
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()

    def main() -> None:
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert started.wait(10)
    yield state
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def admin(sandbox: FalSandbox, method: str, path: str, json: Any = None) -> Any:
    response = http.request(method, f"{sandbox.admin_url}{path}", json=json, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def admin_call(sandbox: FalSandbox) -> Callable[..., Any]:
    return lambda method, path, json=None: admin(sandbox, method, path, json)


@pytest.fixture
def queue_client(sandbox: FalSandbox) -> Iterator[httpx.Client]:
    """Plain httpx on the TLS port, trusting the stand-in's CA, authorised with its key."""
    certs = sandbox.certs
    assert certs is not None
    with httpx.Client(base_url=sandbox.url, verify=certs.client_context(), timeout=10,
                      headers={"Authorization": f"Key {sandbox.core.config.key}"}) as client:
        yield client


ROOT = Path(__file__).resolve().parents[3]
