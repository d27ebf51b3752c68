"""`build` (trees, zips, size report, only what changed) and the other CLI commands, as subprocesses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.integration.runner.runner_harness import COLLECTION, ROOT


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_") and k != "REDIS_URL"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "local_runner", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def small_collection(root: Path) -> Path:
    (root / "functions" / "a").mkdir(parents=True)
    (root / "functions" / "a" / "app.py").write_text("import six\n\ndef handler(e, c):\n    return six.PY3\n")
    (root / "functions" / "b").mkdir(parents=True)
    (root / "functions" / "b" / "app.py").write_text("def handler(e, c):\n    return 'b'\n")
    (root / "layers" / "lib" / "python" / "lib_pkg").mkdir(parents=True)
    (root / "layers" / "lib" / "python" / "lib_pkg" / "__init__.py").write_text("X = 1\n")
    (root / "layers" / "vendor").mkdir(parents=True)
    (root / "layers" / "vendor" / "requirements.txt").write_text("six==1.17.0\n")
    manifest = {
        "layers": {"lib": {"source": "layers/lib"}, "vendor": {"requirements": "layers/vendor/requirements.txt"}},
        "functions": {"a": {"source": "functions/a", "handler": "app.handler", "layers": ["lib", "vendor"]},
                      "b": {"source": "functions/b", "handler": "app.handler", "layers": ["lib"]}},
    }
    (root / "chalice.json").write_text(json.dumps(manifest))
    return root / "chalice.json"


def statuses(report: str) -> dict[str, str]:
    out = {}
    for line in report.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("function", "layer"):
            out[f"{parts[0]}:{parts[1]}"] = parts[-1]
    return out


def test_build_writes_lambda_zips_and_rebuilds_only_what_changed(tmp_path: Path) -> None:
    manifest = small_collection(tmp_path)
    first = cli("--manifest", str(manifest), "build")
    assert first.returncode == 0, first.stderr
    assert set(statuses(first.stdout).values()) == {"built"} and "KB" in first.stdout
    assert "layer vendor: pip install for python3.11 x86_64" in first.stderr  # progress while it builds
    build = tmp_path / "build"
    with zipfile.ZipFile(build / "functions" / "a.zip") as zf:  # the source and its bytecode (Lambda's is read-only)
        assert zf.namelist() == ["app.py", "__pycache__/app.cpython-311.pyc"]
    with zipfile.ZipFile(build / "layers" / "lib.zip") as zf:
        assert zf.namelist() == ["python/lib_pkg/__init__.py", "python/lib_pkg/__pycache__/__init__.cpython-311.pyc"]
    with zipfile.ZipFile(build / "layers" / "vendor.zip") as zf:
        assert "python/six.py" in zf.namelist()
    assert (build / "layers" / "vendor" / "python" / "six.py").is_file()

    second = cli("--manifest", str(manifest), "build")
    assert set(statuses(second.stdout).values()) == {"unchanged"}, second.stdout

    (tmp_path / "functions" / "b" / "app.py").write_text("def handler(e, c):\n    return 'b2'\n")
    third = statuses(cli("--manifest", str(manifest), "build").stdout)
    assert third == {"layer:lib": "unchanged", "layer:vendor": "unchanged", "function:a": "unchanged",
                     "function:b": "built"}
    with zipfile.ZipFile(build / "functions" / "b.zip") as zf:
        assert b"b2" in zf.read("app.py")

    (tmp_path / "layers" / "lib" / "python" / "lib_pkg" / "__init__.py").write_text("X = 2\n")
    fourth = statuses(cli("--manifest", str(manifest), "build").stdout)
    assert fourth["layer:lib"] == "built" and fourth["function:a"] == "unchanged"


def test_invoke_prints_result_and_report(runner_build: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"print": "from-cli"}))
    done = cli("--manifest", str(COLLECTION / "chalice.json"), "--build-dir", str(runner_build), "invoke", "echo",
               "--event", str(event))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["event"] == {"print": "from-cli"}
    assert "from-cli" in done.stderr and "REPORT RequestId: " in done.stderr and "Init Duration:" in done.stderr
    failed = cli("--manifest", str(COLLECTION / "chalice.json"), "--build-dir", str(runner_build), "invoke",
                 "raiser")
    assert failed.returncode == 1 and json.loads(failed.stdout)["errorType"] == "FixtureError"
    unknown = cli("--manifest", str(COLLECTION / "chalice.json"), "--build-dir", str(runner_build), "invoke",
                  "ghost")
    assert unknown.returncode == 2 and "Function not found: ghost" in unknown.stderr


def test_list_and_manifest_error_at_start(tmp_path: Path) -> None:
    listed = cli("--manifest", str(COLLECTION / "chalice.json"), "list")
    assert listed.returncode == 0 and "webapp" in listed.stdout and "GET /items/{item_id}" in listed.stdout
    bad = json.loads((COLLECTION / "chalice.json").read_text())
    bad["functions"]["echo"]["lambda_memory_size"] = 5
    (tmp_path / "chalice.json").write_text(json.dumps(bad))
    for sub in ("functions", "layers"):
        (tmp_path / sub).symlink_to(COLLECTION / sub)
    refused = cli("--manifest", str(tmp_path / "chalice.json"), "serve", "--port", "0")
    assert refused.returncode == 2
    assert "function 'echo'" in refused.stderr and "key 'lambda_memory_size'" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_failed_subcommand_reaches_the_async_events_cli() -> None:
    done = cli("failed", "--help")
    assert done.returncode == 0 and "replay" in done.stdout


def test_serve_on_a_taken_port_fails_at_once_and_starts_nothing(services: dict[str, str], runner_build: Path) -> None:
    # Redis configured, so the Event consumer and the scheduler would start: a failure found after them used
    # to leave the process hanging on its way out, with no HTTP, until its supervisor gave up (180 s).
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        refused = cli("--manifest", str(COLLECTION / "chalice.json"), "--build-dir", str(runner_build), "serve",
                      "--port", str(port), env={"REDIS_URL": services["REDIS_URL"]})
    assert refused.returncode == 2, refused.stderr
    assert "Address already in use" in refused.stderr and "Traceback" not in refused.stderr
    assert "serving" not in refused.stderr and "building" not in refused.stderr  # nothing was started first
