"""Each packaged function as Lambda sees it: its zip and its layers' zips unpacked into an empty folder
(task/ as /var/task, opt/ as /opt: the layers are unpacked once, read by every function), imported by a
clean interpreter of the runtime's Python whose sys.path holds only those folders and opt's python/, with
bytecode shipped and no glibc newer than the runtime's."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from local_runner.glibc_check import glibc_needs, shared_objects
from local_runner.lambda_runtime import parse_runtime
from local_runner.manifest import load_manifest
from local_runner.package import package_environ
from local_runner.runtime import base_python
from sandbox.telegram import SandboxClient, TelegramSandbox
from tests.integration.packaging.conftest import ROOT

MANIFEST = load_manifest(ROOT / "chalice.json", "prod", environ=package_environ())
RUNTIME = parse_runtime("python3.11", "x86_64")

# The handler module is imported with writes of bytecode off (Lambda's folders are read-only); the report
# says how many modules came from shipped .pyc files and which were compiled from source at import.
PROBE = """
import importlib, json, sys
root, task = sys.argv[1], sys.argv[3]
sys.path[:0] = [task, root + "/opt/python", root + "/opt/python/lib/python3.11/site-packages"]
sys.dont_write_bytecode = True
module, attr = sys.argv[2].rsplit(".", 1)
handler = getattr(importlib.import_module(module), attr)
ours = [m for m in list(sys.modules.values()) if (getattr(m, "__file__", None) or "").startswith(root)]
py = [m for m in ours if m.__file__.endswith(".py")]
uncached = [m.__name__ for m in py if not (m.__cached__ and __import__("os").path.exists(m.__cached__))]
print(json.dumps({"callable": callable(handler), "modules": len(py), "uncached": uncached,
                  "outside": [p for p in sys.path if not p.startswith(root) and "site-packages" in p]}))
"""


@pytest.fixture(scope="module")
def lambda_root(package_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty folder with every function under task-<name>/ and every layer under opt/."""
    root = tmp_path_factory.mktemp("lambda")
    assert {n for fn in MANIFEST.functions.values() for n in fn.layers} == set(MANIFEST.layers)
    for name in MANIFEST.layers:  # every function here has every layer: one /opt serves them all
        with zipfile.ZipFile(package_dir / "layers" / f"{name}.zip") as zf:
            zf.extractall(root / "opt")
    for name in MANIFEST.functions:
        with zipfile.ZipFile(package_dir / "functions" / f"{name}.zip") as zf:
            zf.extractall(root / f"task-{name}")
    return root


@pytest.fixture(scope="module")
def probes(lambda_root: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every function's import, each in its own clean interpreter, run side by side (they are independent)."""
    running = {name: subprocess.Popen(
        [base_python(), "-I", "-S", "-c", PROBE, str(lambda_root), fn.handler, str(lambda_root / f"task-{name}")],
        cwd=lambda_root, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for name, fn in MANIFEST.functions.items()}
    done = {}
    for name, proc in running.items():
        out, err = proc.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


@pytest.mark.parametrize("name", sorted(MANIFEST.functions))
def test_function_imports_its_handler_in_lambdas_view(probes: dict[str, subprocess.CompletedProcess[str]],
                                                      name: str) -> None:
    done = probes[name]
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["callable"] and report["outside"] == []
    assert report["modules"] > 0 and report["uncached"] == [], report["uncached"][:20]


def test_no_shared_object_needs_a_newer_glibc_than_the_runtime(lambda_root: Path) -> None:
    root = lambda_root
    objects = list(shared_objects(root))
    assert len(objects) > 10  # pydantic-core, cryptography, psycopg-binary, pillow and their bundled libs
    too_new = {str(so.relative_to(root)): need for so in objects if (need := glibc_needs(so)) and need > RUNTIME.glibc}
    assert too_new == {}
    for wheel in (root / "opt" / "python").glob("*.dist-info/WHEEL"):
        tags = [ln.split(":", 1)[1].strip() for ln in wheel.read_text().splitlines() if ln.startswith("Tag:")]
        assert any(t.endswith(("-any", "manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux1_x86_64",
                               "manylinux_2_5_x86_64")) for t in tags), (wheel.parent.name, tags)


def test_glibc_reader_sees_a_newer_glibc_in_this_machines_wheels() -> None:
    """The check can fail: this machine's own cryptography (a manylinux_2_34 wheel) needs GLIBC_2.34."""
    import cryptography.hazmat.bindings._rust as rust

    need = glibc_needs(Path(rust.__file__))
    assert need is not None and need > RUNTIME.glibc


# A warm Telegram send, in Lambda's view of the layers: python-telegram-bot against the Bot API stand-in.
# Once warm, a request must import nothing: an import sys.modules cannot answer searches every sys.path entry
# on disk. httpcore looks for sniffio on every request and falls back to asyncio when it is missing, which
# anyio no longer pulls in: 7 % of bot_help's CPU until it was pinned.
SEND_PROBE = """
import asyncio, json, sys
root, base_url, token, chat_id = sys.argv[1:5]
sys.path[:0] = [root + "/opt/python", root + "/opt/python/lib/python3.11/site-packages"]
sys.dont_write_bytecode = True
import telegram

class Searches:
    names = []
    def find_spec(self, name, path=None, target=None):
        self.names.append(name)

async def main():
    async with telegram.Bot(token, base_url=base_url) as bot:
        await bot.send_message(chat_id, "warm-up")
        sys.meta_path.insert(0, Searches())
        for _ in range(3):
            await bot.send_message(chat_id, "hello")
        del sys.meta_path[0]

asyncio.run(main())
print(json.dumps(Searches.names))
"""


def test_a_warm_telegram_send_imports_nothing_in_lambdas_view(lambda_root: Path) -> None:
    with TelegramSandbox() as telegram, SandboxClient(telegram.url) as chat:
        chat.set_user(5, first_name="Probe")
        done = subprocess.run([base_python(), "-I", "-S", "-c", SEND_PROBE, str(lambda_root), telegram.base_url,
                               telegram.token, "5"], cwd=lambda_root, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout) == []
        assert len(chat.messages(5, direction="out", count=4, wait=5)) == 4  # every send reached the stand-in
