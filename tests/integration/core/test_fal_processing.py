"""FAL deliveries from the door to the user's message, against real PostgreSQL and S3 and a local
HTTP server standing in for FAL's file host. (Through the runner and nginx: tests/e2e.)"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aisha.db import Database
from aisha.errors import AishaError
from aisha.fal import JwksCache, signed_message
from aisha.fal.files import fetch_file
from aisha.models import AvatarStatus, EventStatus, GenerationStatus, LedgerKind
from aisha.services import avatars, fal_results, fal_webhooks, generations, journal, ledger, outbox, submissions
from aisha.services.fal_retry import RetryPolicy
from aisha.storage import Storage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.integration.core.fal_kit import (
    FileHost,
    Sent,
    deliver_and_notify,
    journal_delivery,
    queued_generation,
    training_avatar,
    training_ok,
)


def test_training_ok_the_same_delivery_five_times_concurrently(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=200)
    request_id = f"req-{uuid.uuid4()}"
    avatar_id, _ = training_avatar(db, user_id, request_id)
    event_id = journal_delivery(db, training_ok(files, request_id))
    sent, outcomes = Sent(), []
    start = threading.Barrier(5)

    def go() -> None:
        start.wait()
        outcomes.append(deliver_and_notify(db, storage, buckets, event_id, sent).status)

    threads = [threading.Thread(target=go) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["duplicate"] * 4 + ["processed"]
    with db.transaction() as conn:
        avatar = avatars.get(conn, avatar_id)
        entries = ledger.history(conn, user_id)
        assert journal.get(conn, event_id).status is EventStatus.PROCESSED
    assert avatar.status is AvatarStatus.COMPLETED and avatar.progress == 100
    assert avatar.lora_key == f"{user_id}/avatars/{avatar_id}/lora/lora.safetensors"
    assert storage.get(buckets.loras, avatar.lora_key) == b"LORA" * 1000
    assert sorted(storage.list_keys(buckets.loras, f"{user_id}/")) == sorted([avatar.lora_key, avatar.config_key])
    assert [e.kind for e in entries] == [LedgerKind.CHARGE, LedgerKind.TOPUP]  # no refund, nothing else
    assert [(kind, chat) for kind, chat, _ in sent.calls] == [("avatar_ready", user_id)]
    assert sent.calls[0][2]["avatar_id"] == avatar_id


def test_training_error_refunds_once(
    db: Database, storage: Storage, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=150)
    request_id = f"req-{uuid.uuid4()}"
    avatar_id, charge_id = training_avatar(db, user_id, request_id)
    body = {"request_id": request_id, "status": "ERROR", "error": "Invalid status code: 422",
            "payload": {"detail": [{"msg": "images_data_url: no faces found"}]}}
    sent = Sent()
    first = deliver_and_notify(db, storage, buckets, journal_delivery(db, body), sent)
    again = deliver_and_notify(db, storage, buckets, journal_delivery(db, body), sent)
    assert (first.status, again.status) == ("processed", "duplicate")
    with db.transaction() as conn:
        avatar = avatars.get(conn, avatar_id)
        assert ledger.balance(conn, user_id) == 150
        refunds = conn.execute("SELECT amount FROM ledger_entries WHERE refund_of = %s", (charge_id,)).fetchall()
    assert avatar.status is AvatarStatus.ERROR and "422" in (avatar.error or "")
    assert refunds == [{"amount": 150}]
    assert [c[0] for c in sent.calls] == ["avatar_failed"] and sent.calls[0][2]["coins"] == 150


def test_ok_with_null_payload_is_a_failure(
    db: Database, storage: Storage, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=10)
    request_id = f"req-{uuid.uuid4()}"
    generation_id, _ = queued_generation(db, user_id, request_id)
    body = {"request_id": request_id, "status": "OK", "payload": None, "payload_error": "payload too large"}
    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, journal_delivery(db, body), sent).status == "processed"
    with db.transaction() as conn:
        generation = generations.get(conn, generation_id)
        assert ledger.balance(conn, user_id) == 10
    assert generation.status is GenerationStatus.FAILED and generation.error == "payload too large"
    assert [c[0] for c in sent.calls] == ["generation_failed"]


def test_generation_ok_leaves_out_nsfw_images(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=20)
    request_id = f"req-{uuid.uuid4()}"
    generation_id, _ = queued_generation(db, user_id, request_id, n=3)
    images = [{"url": files.add(f"{request_id}/{i}.png", b"\x89PNG" + bytes([i]) * 100), "width": 1024,
               "height": 768, "content_type": "image/png"} for i in range(3)]
    body = {"request_id": request_id, "status": "OK",
            "payload": {"images": images, "seed": 7, "has_nsfw_concepts": [False, True, False]}}
    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, journal_delivery(db, body), sent).status == "processed"
    with db.transaction() as conn:
        stored = generations.images(conn, generation_id)
        assert generations.get(conn, generation_id).status is GenerationStatus.COMPLETED
    assert [i.position for i in stored] == [0, 2]
    assert storage.get(buckets.images, stored[1].s3_key) == b"\x89PNG" + bytes([2]) * 100
    assert len(storage.list_keys(buckets.images, f"{user_id}/")) == 2
    kind, _, payload = sent.calls[0]
    assert kind == "generation_done" and payload["hidden"] == 1 and payload["keys"] == [i.s3_key for i in stored]


def test_file_server_down_is_tried_again_with_nothing_half_written(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=150)
    request_id = f"req-{uuid.uuid4()}"
    avatar_id, _ = training_avatar(db, user_id, request_id)
    event_id = journal_delivery(db, training_ok(files, request_id))
    now = RetryPolicy(base_seconds=0)  # every retry due at once
    files.down = True
    try:
        for attempt in range(1, 4):
            assert fal_results.process(db, storage, buckets, event_id, fetch_file, now).status == "retry_scheduled"
            with db.transaction() as conn:
                event = journal.get(conn, event_id)
                assert journal.retry_state(conn, event_id).attempts == attempt
                assert avatars.get(conn, avatar_id).status is AvatarStatus.TRAINING
            assert (event.status, event.error_code) == (EventStatus.FAILED, "fal_file_unavailable")
    finally:
        files.down = False
    assert storage.list_keys(buckets.loras, f"{user_id}/") == []
    with db.transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM notifications WHERE key LIKE %s",
                            (f"avatar:{avatar_id}:%",)).fetchone() == {"n": 0}
    # the next try after FAL's file server is back finishes it
    assert fal_results.process(db, storage, buckets, event_id, fetch_file, now).status == "processed"


def test_a_crash_after_copying_before_commit_ends_with_one_of_each(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_id = make_user(coins=150)
    request_id = f"req-{uuid.uuid4()}"
    avatar_id, _ = training_avatar(db, user_id, request_id)
    event_id = journal_delivery(db, training_ok(files, request_id))
    real_enqueue = outbox.enqueue

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(outbox, "enqueue", crash)
    now = RetryPolicy(base_seconds=0)
    assert fal_results.process(db, storage, buckets, event_id, fetch_file, now).status == "retry_scheduled"
    with db.transaction() as conn:
        assert avatars.get(conn, avatar_id).status is AvatarStatus.TRAINING  # rolled back
        assert journal.get(conn, event_id).error_code == "processing_error"
    monkeypatch.setattr(outbox, "enqueue", real_enqueue)
    sent = Sent()
    assert deliver_and_notify(db, storage, buckets, event_id, sent, now).status == "processed"
    assert len(storage.list_keys(buckets.loras, f"{user_id}/")) == 2
    with db.transaction() as conn:
        assert avatars.get(conn, avatar_id).status is AvatarStatus.COMPLETED
        assert len(ledger.history(conn, user_id)) == 2
    assert len(sent.calls) == 1


def test_an_early_delivery_waits_for_its_request_id(
    db: Database, storage: Storage, files: FileHost, buckets: fal_results.Buckets, make_user: Callable[..., int]
) -> None:
    user_id = make_user(coins=10)
    request_id = f"req-{uuid.uuid4()}"
    images = [{"url": files.add(f"{request_id}/0.jpg", b"\xff\xd8jpeg"), "content_type": "image/jpeg"}]
    event_id = journal_delivery(db, {"request_id": request_id, "status": "OK", "payload": {"images": images}})
    assert fal_results.process(db, storage, buckets, event_id, fetch_file).status == "unmatched"
    assert submissions.rematch(db, request_id) == []  # still unknown: nothing to hand on
    queued_generation(db, user_id, request_id, n=1)
    assert submissions.rematch(db, request_id) == [event_id]
    assert fal_results.process(db, storage, buckets, event_id, fetch_file).status == "processed"


# --- the door: fal_webhooks.receive --------------------------------------------------------------

def _jwks_for(key: Ed25519PrivateKey) -> JwksCache:
    x = base64.urlsafe_b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).rstrip(b"=")
    document = json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x.decode()}]}).encode()
    return JwksCache("https://jwks.test", fetch=lambda url: document)


def _signed(key: Ed25519PrivateKey, body: bytes, request_id: str, at: float) -> dict[str, str]:
    stamp = str(int(at))
    return {"X-Fal-Webhook-Request-Id": request_id, "X-Fal-Webhook-User-Id": "fal-user",
            "X-Fal-Webhook-Timestamp": stamp,
            "X-Fal-Webhook-Signature": key.sign(signed_message(request_id, "fal-user", stamp, body)).hex()}


def test_the_door_journals_everything_and_hands_on_once(db: Database) -> None:
    key, now = Ed25519PrivateKey.generate(), time.time()
    jwks = _jwks_for(key)
    request_id = f"req-{uuid.uuid4()}"
    body = json.dumps({"request_id": request_id, "status": "OK", "payload": {"images": []}}).encode()

    def refusal(headers: dict[str, str], raw: bytes) -> AishaError:
        with pytest.raises(AishaError) as caught:
            fal_webhooks.receive(db, jwks, "/webhook/fal/status", headers, raw, now=now)
        return caught.value

    forged = refusal(_signed(Ed25519PrivateKey.generate(), body, request_id, now), body)
    assert (forged.status, forged.code) == (401, "invalid_signature")
    stale = refusal(_signed(key, body, request_id, now - 400), body)
    assert (stale.status, stale.code) == (401, "stale_timestamp")
    junk = b'{"request_id": "%s", "status": "COMPLETED"}' % request_id.encode()
    malformed = refusal(_signed(key, junk, request_id, now), junk)
    assert (malformed.status, malformed.code) == (400, "malformed_body")

    first = fal_webhooks.receive(db, jwks, "/webhook/fal/status", _signed(key, body, request_id, now), body, now=now)
    again = fal_webhooks.receive(db, jwks, "/webhook/fal/status", _signed(key, body, request_id, now), body, now=now)
    assert (first.hand_on, first.duplicate, again.event_id) == (True, False, first.event_id)
    assert again.duplicate is True
    with db.transaction() as conn:
        journal.mark(conn, first.event_id, EventStatus.PROCESSED)
        rows = conn.execute("SELECT status, signature, error_code FROM webhook_events WHERE claimed_key = %s "
                            "ORDER BY id", (request_id,)).fetchall()
    done = fal_webhooks.receive(db, jwks, "/webhook/fal/status", _signed(key, body, request_id, now), body, now=now)
    assert (done.duplicate, done.hand_on) == (True, False)
    assert [(r["status"], r["signature"], r["error_code"]) for r in rows] == [
        ("rejected", "invalid", "invalid_signature"), ("rejected", "stale", "stale_timestamp"),
        ("rejected", "valid", "malformed_body"), ("processed", "valid", None)]
