"""Webhook deliveries: retries on FAL's (compressed) schedule, key rotation, error shapes, duplicates."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sandbox.fal import FalSandbox
from tests import web


def submit(client: httpx.Client, app: str, arguments: dict[str, Any], webhook: str) -> str:
    response = client.post(f"/{app}", params={"fal_webhook": webhook}, json=arguments)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"request_id", "response_url", "status_url", "cancel_url", "queue_position"}
    return str(body["request_id"])


def test_failed_delivery_is_retried_until_answered(sandbox: FalSandbox, receiver: Any,
                                                   queue_client: httpx.Client) -> None:
    receiver.fail_first = 3
    request_id = submit(queue_client, "fal-ai/flux-lora", {"prompt": "retry me", "image_size": "square"},
                        receiver.url)
    got = receiver.wait_for(lambda r: len(r) >= 4)
    assert [r.answered for r in got] == [500, 500, 500, 200]
    assert all(r.kid is not None for r in got)
    assert len({r.body for r in got}) == 1  # the same body every time, signed afresh
    # the receiver records its answer before the sandbox has read it: the delivery's state follows
    sandbox.call(lambda: _wait_state(sandbox, request_id, "delivered"))
    (log,) = sandbox.deliveries(request_id)
    assert [a["status"] for a in log["attempts"]] == [500, 500, 500, 200]


def test_a_receiver_slower_than_the_timeout_counts_as_failed(sandbox: FalSandbox, receiver: Any,
                                                             queue_client: httpx.Client) -> None:
    sandbox.configure(webhook_timeout=0.3)
    receiver.fail_first, receiver.stall = 1, 1.0
    request_id = submit(queue_client, "fal-ai/flux-lora", {"prompt": "slow receiver"}, receiver.url)
    sandbox.call(lambda: _wait_state(sandbox, request_id, "delivered"))
    (log,) = sandbox.deliveries(request_id)
    first, second = log["attempts"]
    assert first["status"] is None and "Timeout" in first["error"] and second["status"] == 200


def test_unreachable_receiver_gets_all_ten_retries_then_gives_up(sandbox: FalSandbox,
                                                                  queue_client: httpx.Client) -> None:
    sandbox.configure(retry_time_scale=0.0001)
    request_id = submit(queue_client, "fal-ai/flux-lora", {"prompt": "nobody home"}, "http://127.0.0.1:9/none")
    sandbox.call(lambda: _wait_state(sandbox, request_id, "gave_up"))
    (log,) = sandbox.deliveries(request_id)
    assert len(log["attempts"]) == 11 and all(a["error"] for a in log["attempts"])


async def _wait_state(sandbox: FalSandbox, request_id: str, state: str) -> None:
    import asyncio

    for _ in range(200):
        if any(d.request_id == request_id and d.state == state for d in sandbox.core.deliverer.log):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"delivery of {request_id} never reached {state}")


@pytest.mark.parametrize("keep_old", [True, False])
def test_key_rotation(sandbox: FalSandbox, receiver: Any, queue_client: httpx.Client, keep_old: bool) -> None:
    old = sandbox.core.keys.current.kid
    new = sandbox.rotate_key(keep_old=keep_old)
    kids = [k["kid"] for k in web.get(sandbox.jwks_url).json()["keys"]]
    assert kids == ([new, old] if keep_old else [new])
    submit(queue_client, "fal-ai/flux-lora", {"prompt": "after rotation"}, receiver.url)
    (got,) = receiver.wait_for(lambda r: len(r) >= 1)
    assert got.kid == new and got.headers["X-Fal-Webhook-Signature"]


def test_error_and_payload_error_shapes(sandbox: FalSandbox, receiver: Any, queue_client: httpx.Client) -> None:
    failed = submit(queue_client, "fal-ai/flux-lora-fast-training",
                    {"images_data_url": "https://x.invalid/a.zip", "trigger_word": "FAIL"}, receiver.url)
    invalid = submit(queue_client, "fal-ai/flux-lora", {"prompt": "ok", "num_images": 9}, receiver.url)
    unserialisable = submit(queue_client, "fal-ai/flux-lora", {"prompt": "PAYLOAD_ERROR please"}, receiver.url)
    got = receiver.wait_for(lambda r: len(r) >= 3)
    bodies = {json.loads(r.body)["request_id"]: json.loads(r.body) for r in got}
    assert bodies[failed]["status"] == "ERROR" and bodies[failed]["error"] == "Invalid status code: 500"
    assert "FAIL" in bodies[failed]["payload"]["detail"]
    assert bodies[invalid]["error"] == "Invalid status code: 422"
    assert bodies[invalid]["payload"]["detail"][0]["loc"] == ["body", "num_images"]
    body = bodies[unserialisable]
    assert body["status"] == "OK" and body["payload"] is None and "not JSON serializable" in body["payload_error"]
    result = queue_client.get(f"/fal-ai/flux-lora/requests/{unserialisable}")
    assert result.status_code == 200 and result.json()["images"]  # the queue still has the output
    error = queue_client.get(f"/fal-ai/flux-lora/requests/{invalid}")
    assert error.status_code == 422 and error.headers["x-fal-error-type"] == "validation_error"
    status = queue_client.get(f"/fal-ai/flux-lora/requests/{invalid}/status").json()
    assert status["status"] == "COMPLETED" and status["error"] == "Invalid status code: 422"


def test_redeliver_sends_a_duplicate(sandbox: FalSandbox, receiver: Any, queue_client: httpx.Client,
                                     admin_call: Any) -> None:
    request_id = submit(queue_client, "fal-ai/flux-lora", {"prompt": "twice"}, receiver.url)
    receiver.wait_for(lambda r: len(r) >= 1)
    admin_call("POST", f"/jobs/{request_id}/redeliver")
    got = receiver.wait_for(lambda r: len(r) >= 2)
    assert got[0].body == got[1].body and all(r.kid for r in got)
    assert len(admin_call("GET", f"/deliveries?request_id={request_id}")["deliveries"]) == 2


def test_dropped_webhooks_are_logged_but_never_sent(sandbox: FalSandbox, receiver: Any, queue_client: httpx.Client,
                                                    admin_call: Any) -> None:
    admin_call("POST", "/config", {"drop_webhooks": True})
    request_id = submit(queue_client, "fal-ai/flux-lora", {"prompt": "lost"}, receiver.url)
    sandbox.call(lambda: _wait_state(sandbox, request_id, "dropped"))
    assert queue_client.get(f"/fal-ai/flux-lora/requests/{request_id}").status_code == 200  # polling still works
    assert receiver.arrivals == 0
