"""Repository rules for local_runner: generic (nothing of Aisha), small modules, no import side effects."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "local_runner"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_local_runner_imports_nothing_of_aisha() -> None:
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] != "aisha", f"{path.name} imports {name}"


def test_importing_every_module_loads_no_aisha_and_starts_nothing() -> None:
    names = [".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in modules()
             if p.name not in ("__main__.py", "worker_bootstrap.py")]
    code = ("import importlib, sys, threading\n"
            f"for n in {names!r}: importlib.import_module(n)\n"
            "assert not any(m == 'aisha' or m.startswith('aisha.') for m in sys.modules), 'aisha imported'\n"
            "assert threading.active_count() == 1, 'a thread started at import'\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent, env=env)


def test_modules_stay_small() -> None:
    for path in modules():
        assert len(path.read_text().splitlines()) <= 500, path.name


def test_worker_bootstrap_uses_only_the_standard_library() -> None:
    tree = ast.parse((PACKAGE / "worker_bootstrap.py").read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"os", "sys", "ctypes", "awslambdaric"}
