"""Rules of the Telegram stand-in's package: small modules, no import-time effects, nothing of Aisha."""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "sandbox" / "telegram"


def test_modules_stay_small_and_typed() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert len(text.splitlines()) <= 300, f"{path} is over 300 lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.returns is not None, f"{path}:{node.lineno} {node.name} has no return type"


def test_import_has_no_side_effects_and_needs_no_aisha() -> None:
    code = ("import asyncio, socket, sys, threading\n"
            "opened = []\n"
            "socket.socket.connect = lambda *a, **k: opened.append(a)\n"
            "import sandbox.telegram, sandbox.telegram.__main__\n"
            "assert threading.active_count() == 1, threading.enumerate()\n"
            "assert not opened\n"
            "assert not [m for m in sys.modules if m == 'aisha' or m.startswith('aisha.')]\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_no_machine_paths() -> None:
    # the places of this machine, as this machine names them: the checkout, the home and temp folders
    markers = {str(ROOT.parent), str(Path.home()), tempfile.gettempdir()} - {"/"}
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.md")]:
        text = path.read_text()
        for marker in markers:
            assert marker + "/" not in text, f"{path} mentions {marker}"
