"""Webhook deliveries the way FAL makes them: signed POSTs, retried on FAL's schedule, all logged."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from sandbox.fal.config import SandboxConfig
from sandbox.fal.signing import KeyRing


@dataclass
class Attempt:
    number: int
    at: float
    kid: str
    timestamp: str
    status: int | None = None
    error: str | None = None
    duration: float = 0.0

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Delivery:
    """One webhook (one body), with every attempt to deliver it."""

    delivery_id: int
    request_id: str
    url: str
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "pending"  # pending -> delivered | gave_up; or dropped (drop_webhooks)

    def as_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "request_id": self.request_id, "url": self.url,
                "state": self.state, "body": json.loads(self.body),
                "attempts": [asdict(a) | {"delivered": a.delivered} for a in self.attempts]}


def webhook_body(request_id: str, *, ok: bool, payload: Any, error: str | None = None,
                 payload_error: str | None = None) -> bytes:
    """FAL's webhook body; `gateway_request_id` equals `request_id` (no internal retry happened)."""
    body: dict[str, Any] = {"request_id": request_id, "gateway_request_id": request_id,
                            "status": "OK" if ok else "ERROR", "payload": payload}
    if error is not None:
        body["error"] = error
    if payload_error is not None:
        body["payload"] = None
        body["payload_error"] = payload_error
    return json.dumps(body).encode("utf-8")


class Deliverer:
    """Sends deliveries from the stand-in's loop; keeps the log of every one of them."""

    def __init__(self, config: SandboxConfig, keys: KeyRing) -> None:
        self.config = config
        self.keys = keys
        self.log: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(trust_env=False)

    async def close(self) -> None:
        await self.cancel_all()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def send(self, request_id: str, url: str, body: bytes) -> Delivery:
        delivery = Delivery(len(self.log) + 1, request_id, url, body)
        self.log.append(delivery)
        if self.config.drop_webhooks:
            delivery.state = "dropped"
            return delivery
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _deliver(self, delivery: Delivery) -> None:
        waits = [0.0, *self.config.retry_waits()]
        for number, wait in enumerate(waits, start=1):
            if wait:
                await asyncio.sleep(wait)
            attempt = await self._attempt(delivery, number)
            delivery.attempts.append(attempt)
            if attempt.delivered:
                delivery.state = "delivered"
                return
        delivery.state = "gave_up"

    async def _attempt(self, delivery: Delivery, number: int) -> Attempt:
        assert self._session is not None, "Deliverer.start() was not awaited"
        key = self.keys.current
        headers = self.keys.sign(delivery.body, delivery.request_id, self.config.user_id)
        headers["Content-Type"] = "application/json"
        attempt = Attempt(number, time.time(), key.kid, headers["X-Fal-Webhook-Timestamp"])
        started = time.perf_counter()
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.webhook_timeout)
            async with self._session.post(delivery.url, data=delivery.body, headers=headers,
                                          timeout=timeout, allow_redirects=False) as response:
                attempt.status = response.status
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
        attempt.duration = round(time.perf_counter() - started, 4)
        return attempt
