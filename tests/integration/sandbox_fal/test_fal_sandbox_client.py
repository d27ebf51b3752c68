"""The real fal-client (sync and async) against the stand-in, with a webhook receiver verifying signatures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox.fal import FalSandbox

FLOW = Path(__file__).with_name("fal_client_flow.py")
ROOT = Path(__file__).resolve().parents[3]


def run_flow(sandbox: FalSandbox, webhook_url: str) -> dict[str, Any]:
    env = {**os.environ, **sandbox.client_env(), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(FLOW), webhook_url, sandbox.admin_url], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=40)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fal_client_submit_status_result_cancel_and_webhooks(sandbox: FalSandbox, receiver: Any) -> None:
    out = run_flow(sandbox, receiver.url)

    assert out["events"][-1] == "Completed" and "Queued" in out["events"]
    assert out["completed_type"] == "Completed" and out["completed_logs"] >= 3
    result = out["result"]
    assert result["seed"] == 7 and result["prompt"] == "a red fox in the snow"
    assert result["has_nsfw_concepts"] == [False, False]
    assert [(i["width"], i["height"]) for i in result["images"]] == [(512, 512)] * 2
    assert out["images"] == [{"format": "JPEG", "size": [512, 512]}] * 2  # FAL's default output_format
    trained = out["trained"]
    assert trained["diffusers_lora_file"]["file_size"] == out["lora_size"] > 1000
    assert trained["config_file"]["file_name"] == "config.json"
    assert out["wrong_key_status"] == 401
    assert (out["run_seed"], out["subscribe_seed"]) == (5, 6)  # run host and queue host both work

    flow = out["async"]
    assert flow["queued"] == "Queued" and flow["position"] == 0
    assert flow["after_cancel"] == "Completed" and flow["after_error"]
    assert flow["failed"]["status"] == 500 and "FAIL" in flow["failed"]["message"]
    assert flow["cancel_completed"]["status"] == 400 and "ALREADY_COMPLETED" in flow["cancel_completed"]["message"]

    deliveries = receiver.wait_for(lambda got: len(got) >= 2)
    assert all(d.kid == sandbox.core.keys.current.kid for d in deliveries)
    bodies = {json.loads(d.body)["request_id"]: json.loads(d.body) for d in deliveries}
    generation = bodies[out["request_id"]]
    assert generation["status"] == "OK" and generation["gateway_request_id"] == out["request_id"]
    assert generation["payload"] == result
    assert bodies[out["training_id"]]["payload"] == trained
    headers = deliveries[0].headers
    assert headers["X-Fal-Webhook-User-Id"] == sandbox.core.config.user_id
    assert headers["X-Fal-Webhook-Request-Id"] in bodies
