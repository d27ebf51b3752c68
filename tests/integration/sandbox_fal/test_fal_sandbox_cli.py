"""`python -m sandbox.fal` starts, prints its URLs and the client environment, serves, and stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from tests import web

ROOT = Path(__file__).resolve().parents[3]


def test_cli_prints_urls_serves_and_stops(tmp_path: Path) -> None:
    env_file = tmp_path / "fal.env"
    process = subprocess.Popen([sys.executable, "-m", "sandbox.fal", "--cert-dir", str(tmp_path / "certs"),
                                "--env-file", str(env_file), "--queue-delay", "0", "--processing-delay", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        printed = json.loads("".join(lines))
        env = printed["env"]
        assert set(env) == {"FAL_KEY", "FAL_RUN_HOST", "FAL_QUEUE_RUN_HOST", "SSL_CERT_FILE", "FAL_JWKS_URL"}
        assert env_file.read_text().splitlines()[0] == f"FAL_KEY={env['FAL_KEY']}"
        assert web.get(env["FAL_JWKS_URL"]).json()["keys"][0]["crv"] == "Ed25519"
        with httpx.Client(verify=ssl.create_default_context(cafile=env["SSL_CERT_FILE"])) as client:
            answer = client.post(f"https://{env['FAL_QUEUE_RUN_HOST']}/fal-ai/flux-lora", json={"prompt": "cli"},
                                 headers={"Authorization": f"Key {env['FAL_KEY']}"})
        assert answer.status_code == 200 and answer.json()["status_url"].startswith(printed["queue_url"])
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
