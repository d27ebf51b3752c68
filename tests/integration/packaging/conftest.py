"""The collection packaged once per session (`package --stage prod`), translated once by aws-sam-translator.

The build goes to the repository's build/ folder (the one `make run` and the e2e tests use: unchanged inputs
are not rebuilt, and a lock keeps two builders apart); the package goes to a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
TRANSLATOR_REQUIREMENTS = HERE / "sam-translator.txt"
CODE_BUCKET = "code-bucket"
REGION = "us-east-1"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_")}
    return subprocess.run([sys.executable, "-m", "local_runner", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="session")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    done = run_cli("--manifest", str(ROOT / "chalice.json"), "--stage", "prod", "package", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    (out / "report.txt").write_text(done.stdout)
    return out


@pytest.fixture(scope="session")
def sam(package_dir: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((package_dir / "template.json").read_text())
    return template


def with_s3_code(template: dict[str, Any], bucket: str = CODE_BUCKET) -> dict[str, Any]:
    """What `sam deploy` / `aws cloudformation package` do: local zip paths become S3 locations."""
    out = json.loads(json.dumps(template))
    for res in out["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://{bucket}/{props[key]}"
    return out


def _translator_dir() -> Path:
    """aws-sam-translator in a folder of its own (it pins another pydantic than the project's)."""
    digest = hashlib.sha256(TRANSLATOR_REQUIREMENTS.read_bytes()).hexdigest()[:12]
    target = ROOT / ".local" / "tools" / f"sam-translator-{digest}"
    if not (target / "samtranslator").is_dir():
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--target", str(tmp), "-r", str(TRANSLATOR_REQUIREMENTS)], check=True,
                       timeout=600)
        try:
            tmp.rename(target)
        except OSError:  # another session installed it meanwhile
            pass
    return target


@pytest.fixture(scope="session")
def translate() -> Callable[[dict[str, Any]], dict[str, Any]]:
    target = _translator_dir()
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), *site]), AWS_DEFAULT_REGION=REGION)

    def run(template: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run([sys.executable, str(HERE / "translate_main.py"), "{}"], input=json.dumps(template),
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr[-4000:]
        cfn: dict[str, Any] = json.loads(done.stdout)
        return cfn

    return run


@pytest.fixture(scope="session")
def cfn(sam: dict[str, Any], translate: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    return translate(with_s3_code(sam))
