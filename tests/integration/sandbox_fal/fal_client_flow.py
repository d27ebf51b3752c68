"""Run by test_fal_sandbox_client.py in a subprocess whose environment points fal-client at the stand-in.

fal-client reads its hosts when imported, so it cannot share the test process. Prints one JSON object.
Usage: python fal_client_flow.py WEBHOOK_URL ADMIN_URL
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from typing import Any

import fal_client
import httpx
from PIL import Image


def sync_flow(webhook: str) -> dict[str, Any]:
    client = fal_client.SyncClient(key=os.environ["FAL_KEY"])
    handle = client.submit("fal-ai/flux-lora", {"prompt": "a red fox in the snow", "num_images": 2,
                                                 "image_size": "square", "seed": 7}, webhook_url=webhook)
    kinds = [type(event).__name__ for event in handle.iter_events(with_logs=True, interval=0.05)]
    result = handle.get()
    again = client.status("fal-ai/flux-lora", handle.request_id, with_logs=True)
    images = []
    for image in result["images"]:
        response = httpx.get(image["url"], timeout=10)  # https, trusted through SSL_CERT_FILE
        response.raise_for_status()
        with Image.open(io.BytesIO(response.content)) as picture:
            images.append({"format": picture.format, "size": list(picture.size)})
    training = client.submit("fal-ai/flux-lora-portrait-trainer",
                             {"images_data_url": "https://example.invalid/photos.zip", "trigger_phrase": "ohwx",
                              "steps": 1000}, webhook_url=webhook)
    trained = training.get()
    lora = httpx.get(trained["diffusers_lora_file"]["url"], timeout=10)
    direct = client.run("fal-ai/flux-lora", {"prompt": "run host", "seed": 5})
    subscribed = client.subscribe("fal-ai/flux-lora", {"prompt": "subscribed", "seed": 6})
    wrong_key = None
    try:
        fal_client.SyncClient(key="nope:nope").submit("fal-ai/flux-lora", {"prompt": "x"})
    except fal_client.client.FalClientHTTPError as exc:
        wrong_key = exc.status_code
    return {"request_id": handle.request_id, "events": kinds, "result": result, "images": images,
            "completed_logs": len(getattr(again, "logs", None) or []), "completed_type": type(again).__name__,
            "training_id": training.request_id, "trained": trained, "lora_size": len(lora.content),
            "wrong_key_status": wrong_key, "run_seed": direct["seed"], "subscribe_seed": subscribed["seed"]}


async def async_cancel_flow(admin: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as plain:
        (await plain.post(f"{admin}/config", json={"queue_delay": 30.0})).raise_for_status()
        client = fal_client.AsyncClient(key=os.environ["FAL_KEY"])
        handle = await client.submit("fal-ai/flux-lora", {"prompt": "never drawn"})
        queued = await handle.status()
        await handle.cancel()
        after = None
        for _ in range(100):
            after = await client.status("fal-ai/flux-lora", handle.request_id)
            if isinstance(after, fal_client.Completed):
                break
            await asyncio.sleep(0.05)
        (await plain.post(f"{admin}/config", json={"queue_delay": 0.2})).raise_for_status()
        second = await client.submit("fal-ai/flux-lora", {"prompt": "FAIL on purpose"})
        try:
            await second.get()
            failed = None
        except fal_client.client.FalClientHTTPError as exc:
            failed = {"status": exc.status_code, "message": str(exc)}
        cancel_done = None
        try:
            await second.cancel()
        except fal_client.client.FalClientHTTPError as exc:
            cancel_done = {"status": exc.status_code, "message": str(exc)}
    return {"queued": type(queued).__name__, "position": getattr(queued, "position", None),
            "after_cancel": type(after).__name__, "after_error": getattr(after, "error", None),
            "failed": failed, "cancel_completed": cancel_done}


def main() -> None:
    webhook, admin = sys.argv[1], sys.argv[2]
    out = sync_flow(webhook)
    out["async"] = asyncio.run(async_cancel_flow(admin))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
