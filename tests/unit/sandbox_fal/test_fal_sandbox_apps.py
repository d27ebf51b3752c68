"""The models' outputs, failures and inputs checks, without any server."""

from __future__ import annotations

import io
import json
import random
from functools import partial
from pathlib import Path

import pytest
from PIL import Image

from sandbox.fal import SandboxConfig
from sandbox.fal.apps import FileStore, FluxLora, Outcome, Trainer, lora_bytes
from sandbox.fal.images import IMAGE_SIZES, resolve_size
from sandbox.fal.webhooks import webhook_body


def run_flux(arguments: dict[str, object], config: SandboxConfig | None = None,
             seed: int = 0) -> tuple[Outcome, FileStore]:
    files = FileStore(base_url="https://fal.test")
    outcome = FluxLora().run("req", arguments, config or SandboxConfig(), files, random.Random(seed))
    return outcome, files


@pytest.mark.parametrize("preset", sorted(IMAGE_SIZES))
def test_presets(preset: str) -> None:
    assert resolve_size(preset) == IMAGE_SIZES[preset]


def test_generation_draws_jpegs_of_the_size_and_count_asked() -> None:
    outcome, files = run_flux({"prompt": "a boat", "num_images": 4, "image_size": "square", "seed": 11})
    assert outcome.ok and outcome.body["seed"] == 11 and outcome.body["has_nsfw_concepts"] == [False] * 4
    assert outcome.body["images"][0]["url"] == "https://fal.test/files/req/image-0.jpg"
    assert {image["content_type"] for image in outcome.body["images"]} == {"image/jpeg"}  # FAL's default
    for index in range(4):
        stored = files.files[f"req/image-{index}.jpg"]
        picture = Image.open(io.BytesIO(stored.data))
        assert picture.format == "JPEG" and picture.size == (512, 512) and stored.content_type == "image/jpeg"
    again, _ = run_flux({"prompt": "a boat", "num_images": 1, "image_size": "square", "seed": 11})
    assert again.body["images"][0]["width"] == 512


def test_output_format_png_draws_pngs() -> None:
    outcome, files = run_flux({"prompt": "a boat", "image_size": "square", "output_format": "png"})
    assert outcome.body["images"][0]["content_type"] == "image/png"
    stored = files.files["req/image-0.png"]
    assert Image.open(io.BytesIO(stored.data)).format == "PNG" and stored.content_type == "image/png"


@pytest.mark.parametrize(("arguments", "field"), [({"num_images": 1}, "prompt"),
                                                  ({"prompt": "x", "num_images": 5}, "num_images"),
                                                  ({"prompt": "x", "num_images": 0}, "num_images"),
                                                  ({"prompt": "x", "image_size": "huge"}, "image_size"),
                                                  ({"prompt": "x", "output_format": "gif"}, "output_format")])
def test_bad_inputs_fail_with_422(arguments: dict[str, object], field: str) -> None:
    outcome, _ = run_flux(arguments)
    assert outcome.status == 422 and outcome.error == "Invalid status code: 422"
    assert outcome.body["detail"][0]["loc"] == ["body", field]


def test_markers_flag_nsfw_fail_and_payload_error() -> None:
    assert run_flux({"prompt": "NSFW scene", "num_images": 2})[0].body["has_nsfw_concepts"] == [True, True]
    failed, files = run_flux({"prompt": "please FAIL"})
    assert failed.status == 500 and not files.files
    assert run_flux({"prompt": "PAYLOAD_ERROR"})[0].payload_error


def test_failure_rate_is_repeatable_with_a_seed() -> None:
    config = SandboxConfig(failure_rate=0.5)

    def runs(seed: int) -> list[bool]:
        rng = random.Random(seed)
        small = {"prompt": "p", "image_size": {"width": 64, "height": 64}}
        return [FluxLora().run("r", small, config, FileStore(), rng).ok for _ in range(12)]

    assert runs(1) == runs(1) and not all(runs(1)) and any(runs(1))


def test_trainer_outputs_lora_and_config_files() -> None:
    files = FileStore(base_url="https://fal.test")
    outcome = Trainer("fal-ai/flux-lora-portrait-trainer").run(
        "t1", {"images_data_url": "https://x/photos.zip", "trigger_phrase": "ohwx", "steps": 2500},
        SandboxConfig(), files, random.Random(0))
    lora, config = outcome.body["diffusers_lora_file"], outcome.body["config_file"]
    assert lora["file_name"] == "pytorch_lora_weights.safetensors" and lora["file_size"] == 4096
    assert files.files["t1/pytorch_lora_weights.safetensors"].data == lora_bytes("t1:ohwx")
    assert json.loads(files.files["t1/config.json"].data)["steps"] == 2500 and config["url"].endswith("config.json")
    missing = Trainer("fal-ai/flux-lora-fast-training").run("t2", {}, SandboxConfig(), files, random.Random(0))
    assert missing.status == 422


def test_webhook_bodies() -> None:
    assert json.loads(webhook_body("r", ok=True, payload={"a": 1})) == {
        "request_id": "r", "gateway_request_id": "r", "status": "OK", "payload": {"a": 1}}
    error = json.loads(webhook_body("r", ok=False, payload={"detail": "x"}, error="Invalid status code: 500"))
    assert error["status"] == "ERROR" and error["error"] == "Invalid status code: 500"
    nulled = json.loads(webhook_body("r", ok=True, payload={"a": 1}, payload_error="too big"))
    assert nulled["payload"] is None and nulled["payload_error"] == "too big"


def test_trainer_can_check_the_images_zip(tmp_path: Path) -> None:
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from zipfile import ZipFile

    with ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.writestr("a.jpg", b"jpeg")
    (tmp_path / "empty.zip").write_bytes(b"not a zip")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = SandboxConfig(fetch_inputs=True)
    try:
        def train(url: str) -> Outcome:
            return Trainer("fal-ai/flux-lora-fast-training").run("t", {"images_data_url": url}, config, FileStore(),
                                                                 random.Random(0))

        assert train(f"{base}/photos.zip").ok
        assert "not a zip" in train(f"{base}/empty.zip").body["detail"][0]["msg"]
        assert "Could not download" in train(f"{base}/missing.zip").body["detail"][0]["msg"]
    finally:
        server.shutdown()
