"""The models the stand-in plays: FAL's two LoRA trainers and `fal-ai/flux-lora`.

Each app turns a job's input into an `Outcome`: the result FAL would store (served at the response URL
and sent in the webhook) or the failure it would report. Files the outputs point to are put in a
`FileStore` and served by the stand-in under `/files/...`.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Protocol

from sandbox.fal.config import SandboxConfig
from sandbox.fal.errors import QueueError
from sandbox.fal.images import OUTPUT_FORMATS, draw_image, resolve_format, resolve_size, validation_error

TRAINERS = ("fal-ai/flux-lora-portrait-trainer", "fal-ai/flux-lora-fast-training")
GENERATORS = ("fal-ai/flux-lora",)
LORA_SIZE = 4096


@dataclass
class StoredFile:
    data: bytes
    content_type: str
    file_name: str


@dataclass
class FileStore:
    """Files by path below `/files/`; `base_url` is how clients reach that folder."""

    base_url: str = ""
    files: dict[str, StoredFile] = field(default_factory=dict)

    def put(self, path: str, data: bytes, content_type: str, file_name: str) -> dict[str, Any]:
        self.files[path] = StoredFile(data, content_type, file_name)
        return {"url": f"{self.base_url}/files/{path}", "content_type": content_type,
                "file_name": file_name, "file_size": len(data)}


@dataclass
class Outcome:
    """What a finished job answers: HTTP status and body of the response URL, and the webhook's view."""

    status: int
    body: dict[str, Any]
    error: str | None = None
    error_type: str | None = None
    payload_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status < 400


class App(Protocol):
    def run(self, request_id: str, arguments: dict[str, Any], config: SandboxConfig, files: FileStore,
            rng: random.Random) -> Outcome: ...


def failure(exc: QueueError) -> Outcome:
    kind = "validation_error" if exc.status == 422 else "runner_server_error"
    return Outcome(exc.status, exc.body, error=f"Invalid status code: {exc.status}", error_type=kind)


def simulated_failure(app_id: str, reason: str) -> Outcome:
    return failure(QueueError(f"{app_id} failed: {reason}", status=500))


def _should_fail(texts: list[str], config: SandboxConfig, rng: random.Random) -> str | None:
    if config.fail_marker and any(config.fail_marker in text for text in texts):
        return f"input contains {config.fail_marker!r}"
    if config.failure_rate and rng.random() < config.failure_rate:
        return "random failure (failure_rate)"
    return None


def _payload_error(texts: list[str], config: SandboxConfig) -> str | None:
    if config.payload_error_marker and any(config.payload_error_marker in text for text in texts):
        return ("Response payload is not JSON serializable. Either return a JSON serializable object or use "
                "the queue endpoint to retrieve the response.")
    return None


def lora_bytes(seed: str, size: int = LORA_SIZE) -> bytes:
    """A deterministic stand-in for a .safetensors file: a JSON header, then hash-stream weights."""
    header = json.dumps({"__metadata__": {"format": "pt", "sandbox": "true", "seed": seed}}).encode()
    body = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(body) < size - len(header) - 8:
        block = hashlib.sha256(block).digest()
        body += block
    return len(header).to_bytes(8, "little") + header + bytes(body[: size - len(header) - 8])


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def check_images_zip(url: str, timeout: float) -> str | None:
    """Download the training zip as FAL does; say what is wrong with it, or None when it holds images."""
    import httpx  # only this optional check needs it

    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            images = [n for n in archive.namelist() if n.lower().endswith(IMAGE_SUFFIXES)]
    except httpx.HTTPError as exc:
        return f"Could not download images_data_url: {exc}"
    except zipfile.BadZipFile:
        return "images_data_url is not a zip archive"
    return None if images else "the zip archive holds no images"


class Trainer:
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id

    def run(self, request_id: str, arguments: dict[str, Any], config: SandboxConfig, files: FileStore,
            rng: random.Random) -> Outcome:
        url = arguments.get("images_data_url")
        if not isinstance(url, str) or not url:
            return failure(validation_error("images_data_url", "field required", url))
        trigger = str(arguments.get("trigger_phrase") or arguments.get("trigger_word") or "")
        steps = arguments.get("steps", 1000)
        reason = _should_fail([trigger, url], config, rng)
        if reason:
            return simulated_failure(self.app_id, reason)
        if config.fetch_inputs:
            problem = check_images_zip(url, config.webhook_timeout)
            if problem:
                return failure(validation_error("images_data_url", problem, url))
        lora = files.put(f"{request_id}/pytorch_lora_weights.safetensors", lora_bytes(f"{request_id}:{trigger}"),
                         "application/octet-stream", "pytorch_lora_weights.safetensors")
        settings = {"trigger_word": trigger, "steps": steps, "app": self.app_id, "images_data_url": url,
                    "learning_rate": arguments.get("learning_rate")}
        config_file = files.put(f"{request_id}/config.json", json.dumps(settings, indent=2).encode(),
                                "application/octet-stream", "config.json")
        return Outcome(200, {"diffusers_lora_file": lora, "config_file": config_file},
                       payload_error=_payload_error([trigger], config))


class FluxLora:
    app_id = "fal-ai/flux-lora"

    def run(self, request_id: str, arguments: dict[str, Any], config: SandboxConfig, files: FileStore,
            rng: random.Random) -> Outcome:
        prompt = arguments.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return failure(validation_error("prompt", "field required", prompt))
        count = arguments.get("num_images", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 4:
            return failure(validation_error("num_images", "num_images must be between 1 and 4", count))
        try:
            width, height = resolve_size(arguments.get("image_size"))
            output_format = resolve_format(arguments.get("output_format"))
        except QueueError as exc:
            return failure(exc)
        seed = arguments.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            seed = rng.randrange(2**31)
        reason = _should_fail([prompt], config, rng)
        if reason:
            return simulated_failure(self.app_id, reason)
        started = time.perf_counter()
        nsfw = bool(config.nsfw_marker) and config.nsfw_marker.lower() in prompt.lower()
        images = []
        content_type, suffix = OUTPUT_FORMATS[output_format]
        for index in range(count):
            drawn = draw_image(prompt, seed, index, width, height, output_format)
            stored = files.put(f"{request_id}/image-{index}.{suffix}", drawn, content_type, f"image-{index}.{suffix}")
            images.append({"url": stored["url"], "width": width, "height": height, "content_type": content_type})
        body = {"images": images, "seed": seed, "has_nsfw_concepts": [nsfw] * count, "prompt": prompt,
                "timings": {"inference": round(time.perf_counter() - started, 3)}}
        return Outcome(200, body, payload_error=_payload_error([prompt], config))


def known_apps() -> dict[str, App]:
    apps: dict[str, App] = {app_id: Trainer(app_id) for app_id in TRAINERS}
    apps[FluxLora.app_id] = FluxLora()
    return apps
