"""The chaos suite's known workload, sent the way Telegram and FAL send it, and the effects counted after.

Workload: N new users' `/start` (Telegram updates with the webhook secret) and N FAL completions of N
generations prepared through the domain (users with a balance, generations submitted to the FAL stand-in,
whose webhooks the stand-in keeps instead of sending). Each delivery is resent until it is answered 2xx,
as Telegram does (until 200) and FAL does (on any non-2xx or a connection error), within a deadline.
Effects are counted in PostgreSQL, the bucket and the Telegram stand-in's record of what the bot sent.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.chaos_stack import WELCOME_BONUS, ChaosStack

PROMPT = "a lighthouse at dusk, chaos run"


@dataclass
class Delivery:
    key: str  # the provider's idempotency key: update_id or FAL request id
    path: str
    body: bytes
    headers: Callable[[], dict[str, str]]  # fresh per attempt (FAL signs every attempt afresh)
    attempts: int = 0
    acked: bool = False
    answers: Counter[str] = field(default_factory=Counter)


@dataclass
class Workload:
    start_users: list[int]
    gen_users: list[int]
    generation_ids: list[int]
    deliveries: list[Delivery]

    @property
    def telegram_keys(self) -> list[str]:
        return [d.key for d in self.deliveries if d.path == "/webhook/telegram"]

    @property
    def fal_keys(self) -> list[str]:
        return [d.key for d in self.deliveries if d.path != "/webhook/telegram"]


def _stand_in_gateway(stack: ChaosStack) -> Any:
    """A FalGateway that submits over plain HTTP to the stand-in: this process's fal-client (whose hosts
    are fixed when it is imported) stays untouched."""
    import httpx
    from aisha.fal.client import FalGateway
    from aisha.tls import tls_context

    assert stack.fal is not None
    base, key = stack.fal.http_url, stack.env["FAL_KEY"]

    class StandInGateway(FalGateway):
        def submit(self, app: str, arguments: dict[str, Any], *, webhook_url: str) -> str:
            answer = httpx.post(f"{base}/{app}", params={"fal_webhook": webhook_url}, json=arguments,
                                headers={"Authorization": f"Key {key}"}, timeout=30, verify=tls_context())
            answer.raise_for_status()
            return str(answer.json()["request_id"])

    return StandInGateway(key)


def prepare(stack: ChaosStack, n: int, rng: random.Random, timeout: float = 60.0) -> Workload:
    from aisha.models import Language, LedgerKind
    from aisha.resources import Resources
    from aisha.services import ledger, submissions, users

    assert stack.chat is not None and stack.fal is not None
    ids = rng.sample(range(10**8, 10**9), 2 * n)
    start_users, gen_users = ids[:n], ids[n:]
    secret = stack.env["TELEGRAM_WEBHOOK_SECRET"]
    deliveries = []
    for i, chat_id in enumerate(start_users):
        stack.chat.set_user(chat_id, first_name=f"Start{i}", language_code="en")
        stack.chat.send_text(chat_id, "/start")  # no webhook is set: the update waits in the stand-in
        update = stack.chat.updates(chat_id=chat_id)[0]
        deliveries.append(Delivery(str(update["update_id"]), "/webhook/telegram",
                                   _json(update["update"]), lambda: {"X-Telegram-Bot-Api-Secret-Token": secret,
                                                                     "Content-Type": "application/json"}))
    resources = Resources(stack.settings())  # type: ignore[arg-type]
    gateway = _stand_in_gateway(stack)
    generation_ids, request_ids = [], []
    try:
        for i, user_id in enumerate(gen_users):
            stack.chat.set_user(user_id, first_name=f"Gen{i}", language_code="en")
            with resources.db.transaction() as conn:
                users.register(conn, user_id, first_name=f"Gen{i}", language=Language.EN)
                ledger.credit(conn, user_id, 50, LedgerKind.TOPUP, reason="chaos")
            generation = submissions.submit_generation(resources.db, resources.storage, gateway, resources.settings,
                                                       user_id=user_id, prompt=PROMPT, num_images=1, seed=i)
            generation_ids.append(generation.id)
            request_ids.append(str(generation.fal_request_id))
    finally:
        resources.db.close()
    bodies = _kept_webhooks(stack, request_ids, timeout)
    fal = stack.fal
    for request_id in request_ids:
        url, body = bodies[request_id]
        path = "/" + url.split("/", 3)[3]

        def sign(body: bytes = body, request_id: str = request_id) -> dict[str, str]:
            return {**fal.core.keys.sign(body, request_id, fal.core.config.user_id), "Content-Type": "application/json"}

        deliveries.append(Delivery(request_id, path, body, sign))
    return Workload(start_users, gen_users, generation_ids, deliveries)


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


def _kept_webhooks(stack: ChaosStack, request_ids: list[str], timeout: float) -> dict[str, tuple[str, bytes]]:
    """The webhook of each finished job, as the stand-in kept it (url, raw body), once all have finished."""
    assert stack.fal is not None
    fal = stack.fal
    wanted = set(request_ids)

    async def read() -> dict[str, tuple[str, bytes]]:
        return {d.request_id: (d.url, d.body) for d in fal.core.deliverer.log if d.request_id in wanted}

    deadline = time.monotonic() + timeout
    while len(found := fal.call(read)) < len(wanted):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(wanted) - len(found)} FAL jobs did not finish in {timeout:.0f} s")
        time.sleep(0.1)
    return found


# -- sending -----------------------------------------------------------------------------------------
async def _send(session: aiohttp.ClientSession, delivery: Delivery, url: str, deadline: float) -> None:
    """One sender's resend loop: until a 2xx answer (or the deadline), with a growing pause."""
    pause = 0.2
    while time.monotonic() < deadline and not delivery.acked:
        delivery.attempts += 1
        try:
            async with session.post(url + delivery.path, data=delivery.body, headers=delivery.headers()) as answer:
                await answer.read()
                delivery.answers[str(answer.status)] += 1
                if 200 <= answer.status < 300:
                    delivery.acked = True
                    return
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            delivery.answers[type(exc).__name__] += 1
        await asyncio.sleep(pause)
        pause = min(2.0, pause * 2)


async def send_all(workload: Workload, targets: list[str], *, copies: int, spread: float, deadline: float) -> None:
    """Every delivery, started evenly over `spread` s, sent by `copies` concurrent senders to each target."""
    timeout = aiohttp.ClientTimeout(total=15)  # FAL's delivery timeout
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=64)) as session:
        order = list(workload.deliveries)
        random.Random(len(order)).shuffle(order)  # Telegram updates and FAL completions interleaved
        started = time.monotonic()

        async def one(i: int, delivery: Delivery) -> None:
            await asyncio.sleep(max(0.0, started + spread * i / max(1, len(order)) - time.monotonic()))
            await asyncio.gather(*(_send(session, delivery, url, deadline) for url in targets for _ in range(copies)))

        await asyncio.gather(*(one(i, d) for i, d in enumerate(order)))


__all__ = ["WELCOME_BONUS", "Delivery", "Workload", "prepare", "send_all"]
