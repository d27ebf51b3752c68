"""What the FAL processing tests share: FAL's file host as a local server, buckets, an outbox sender
that records, and work (a training, a generation) charged and waiting at FAL."""

from __future__ import annotations

import json
import threading
from collections.abc import Coroutine
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aisha.db import Database
from aisha.fal.files import fetch_file
from aisha.models import Gender, GenerationStatus, TrainingType
from aisha.services import avatars, fal_results, generations, journal, ledger, outbox
from aisha.services.fal_retry import RetryPolicy
from aisha.storage import Storage


class FileHost:
    """FAL's file server: serves registered bytes; `down` makes it answer 503."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.down = False
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = host.files.get(self.path)
                status = 503 if host.down else (200 if data is not None else 404)
                self.send_response(status)
                self.send_header("Content-Length", str(len(data) if status == 200 and data else 0))
                self.end_headers()
                if status == 200 and data:
                    self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, name: str, data: bytes) -> str:
        self.files[f"/{name}"] = data
        return f"{self.base}/{name}"


class Sent:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    async def send(self, kind: str, chat_id: int, payload: dict[str, Any]) -> None:
        self.calls.append((kind, chat_id, payload))


def run(coro: Coroutine[Any, Any, None]) -> None:
    import asyncio

    asyncio.run(coro)


def training_avatar(db: Database, user_id: int, request_id: str, price: int = 150) -> tuple[int, int]:
    with db.transaction() as conn:
        avatar = avatars.create(conn, user_id, "Anna", Gender.FEMALE, TrainingType.PORTRAIT)
        charge = ledger.charge(conn, user_id, price, reason="training")
        conn.execute("UPDATE avatars SET status = 'training', fal_request_id = %s, training_charge_id = %s, "
                     "training_started_at = now() WHERE id = %s", (request_id, charge.id, avatar.id))
    return avatar.id, charge.id


def queued_generation(db: Database, user_id: int, request_id: str, n: int = 2) -> tuple[int, int]:
    with db.transaction() as conn:
        generation = generations.create(conn, user_id, "a portrait in the rain", num_images=n, cost=5 * n)
        charge = ledger.charge(conn, user_id, 5 * n, reason="generation")
        generations.transition(conn, generation.id, GenerationStatus.QUEUED, fal_request_id=request_id,
                               charge_id=charge.id)
    return generation.id, charge.id


def journal_delivery(db: Database, body: dict[str, Any]) -> int:
    with db.transaction() as conn:
        return journal.record_delivery(conn, journal.Provider.FAL, "/webhook/fal/status", body["request_id"], {},
                                       json.dumps(body).encode(), keep_headers=()).event.id


def deliver_and_notify(db: Database, storage: Storage, buckets: fal_results.Buckets, event_id: int,
                       sent: Sent, policy: RetryPolicy | None = None) -> fal_results.Outcome:
    outcome = fal_results.process(db, storage, buckets, event_id, fetch_file, policy)
    for key in outcome.notifications:
        outbox.deliver(db, key, sent.send, run)
    return outcome


def training_ok(files: FileHost, request_id: str) -> dict[str, Any]:
    lora = files.add(f"{request_id}/lora.safetensors", b"LORA" * 1000)
    config = files.add(f"{request_id}/config.json", b'{"rank": 16}')
    return {"request_id": request_id, "gateway_request_id": request_id, "status": "OK", "payload": {
        "diffusers_lora_file": {"url": lora, "content_type": "application/octet-stream",
                                "file_name": "pytorch_lora_weights.safetensors", "file_size": 4000},
        "config_file": {"url": config, "content_type": "application/json", "file_name": "config.json"}}}


