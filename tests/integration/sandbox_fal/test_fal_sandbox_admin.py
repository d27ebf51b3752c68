"""The queue API's refusals and the admin switches: auth, unknown ids, file server down, complete now, reset."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from sandbox.fal import FalSandbox
from tests import web


def wait_completed(client: httpx.Client, app: str, request_id: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/{app}/requests/{request_id}/status", params={"logs": 1}).json()
        if status["status"] == "COMPLETED":
            return dict(status)
        time.sleep(0.05)
    raise AssertionError(f"{request_id} not completed")


def test_key_is_required(sandbox: FalSandbox, queue_client: httpx.Client) -> None:
    certs = sandbox.certs
    assert certs is not None
    with httpx.Client(base_url=sandbox.url, verify=certs.client_context()) as anonymous:
        assert anonymous.post("/fal-ai/flux-lora", json={"prompt": "x"}).status_code == 401
        wrong = anonymous.post("/fal-ai/flux-lora", json={"prompt": "x"}, headers={"Authorization": "Key a:b"})
        assert wrong.status_code == 401 and "detail" in wrong.json()
        request_id = queue_client.post("/fal-ai/flux-lora", json={"prompt": "x"}).json()["request_id"]
        assert anonymous.get(f"/fal-ai/flux-lora/requests/{request_id}/status").status_code == 401


def test_unknown_app_and_request(queue_client: httpx.Client) -> None:
    assert queue_client.post("/fal-ai/no-such-model", json={}).status_code == 404
    assert queue_client.get("/fal-ai/flux-lora/requests/nope/status").status_code == 404
    assert queue_client.put("/fal-ai/flux-lora/requests/nope/cancel").status_code == 404
    bad_hook = queue_client.post("/fal-ai/flux-lora", params={"fal_webhook": "ftp://x"}, json={"prompt": "p"})
    assert bad_hook.status_code == 422
    assert queue_client.post("/fal-ai/flux-lora", content=b"[1]").status_code == 422


def test_queue_positions_and_complete_now(sandbox: FalSandbox, queue_client: httpx.Client,
                                          admin_call: Any) -> None:
    sandbox.configure(queue_delay=30.0, processing_delay=30.0)
    ids = [queue_client.post("/fal-ai/flux-lora", json={"prompt": f"p{i}"}).json()["request_id"] for i in range(3)]
    positions = [queue_client.get(f"/fal-ai/flux-lora/requests/{i}/status").json()["queue_position"] for i in ids]
    assert positions == [0, 1, 2]
    assert queue_client.get(f"/fal-ai/flux-lora/requests/{ids[0]}").status_code == 400  # not done yet
    admin_call("POST", f"/jobs/{ids[1]}/complete", {"outcome": "fail"})
    admin_call("POST", f"/jobs/{ids[2]}/complete")
    assert wait_completed(queue_client, "fal-ai/flux-lora", ids[1])["error"]
    assert "error" not in wait_completed(queue_client, "fal-ai/flux-lora", ids[2])
    assert queue_client.get(f"/fal-ai/flux-lora/requests/{ids[0]}/status").json()["queue_position"] == 0
    jobs = {job["request_id"]: job for job in admin_call("GET", "/jobs")["jobs"]}
    assert jobs[ids[0]]["status"] == "IN_QUEUE" and jobs[ids[1]]["ok"] is False and jobs[ids[2]]["ok"] is True


def test_in_progress_status_has_logs(sandbox: FalSandbox, queue_client: httpx.Client) -> None:
    sandbox.configure(queue_delay=0.0, processing_delay=30.0)
    request_id = queue_client.post("/fal-ai/flux-lora", json={"prompt": "slow"}).json()["request_id"]
    deadline = time.monotonic() + 10
    while (status := queue_client.get(f"/fal-ai/flux-lora/requests/{request_id}/status",
                                      params={"logs": "1"}).json())["status"] == "IN_QUEUE":
        assert time.monotonic() < deadline, "never left the queue"
        time.sleep(0.02)
    assert status["status"] == "IN_PROGRESS" and status["logs"][-1]["message"].startswith("Running")
    cancel = queue_client.put(f"/fal-ai/flux-lora/requests/{request_id}/cancel")
    assert cancel.status_code == 202 and cancel.json() == {"status": "CANCELLATION_REQUESTED"}


@pytest.mark.parametrize(("size", "expected"), [("portrait_16_9", (576, 1024)), ({"width": 320, "height": 200},
                                                                                   (320, 200))])
def test_images_and_the_file_server_switch(sandbox: FalSandbox, queue_client: httpx.Client, admin_call: Any,
                                           size: Any, expected: tuple[int, int]) -> None:
    arguments = {"prompt": "a nsfw test", "num_images": 3, "image_size": size, "seed": 3, "output_format": "png"}
    request_id = queue_client.post("/fal-ai/flux-lora", json=arguments).json()["request_id"]
    wait_completed(queue_client, "fal-ai/flux-lora", request_id)
    result = queue_client.get(f"/fal-ai/flux-lora/requests/{request_id}").json()
    assert result["has_nsfw_concepts"] == [True] * 3 and len(result["images"]) == 3
    url = result["images"][0]["url"]
    picture = Image.open(io.BytesIO(queue_client.get(url).content))
    assert picture.format == "PNG" and picture.size == expected
    admin_call("POST", "/files", {"available": False})
    assert queue_client.get(url).status_code == 503
    admin_call("POST", "/files", {"available": True})
    assert queue_client.get(url).status_code == 200


def test_config_is_checked_and_reset_forgets(sandbox: FalSandbox, queue_client: httpx.Client,
                                             admin_call: Any) -> None:
    bad = web.post(f"{sandbox.admin_url}/config", json={"failure_rate": 2})
    assert bad.status_code == 400
    assert web.post(f"{sandbox.admin_url}/config", json={"no_such": 1}).status_code == 400
    assert admin_call("POST", "/config", {"failure_rate": 1.0})["failure_rate"] == 1.0
    request_id = queue_client.post("/fal-ai/flux-lora", json={"prompt": "unlucky"}).json()["request_id"]
    assert wait_completed(queue_client, "fal-ai/flux-lora", request_id)["error"]
    admin_call("POST", "/reset")
    assert admin_call("GET", "/jobs") == {"jobs": []}
    assert admin_call("GET", "/config")["failure_rate"] == 0.0
    state = admin_call("GET", "/state")
    assert state["urls"]["https"] == sandbox.url and state["kids"]
