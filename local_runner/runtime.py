"""The worker's runtime directory (AWS's runtime interface client, pip-installed) and interpreter."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from local_runner.errors import BuildError

RUNTIME_REQUIREMENTS = ("awslambdaric==4.2.2",)
BOOTSTRAP = Path(__file__).with_name("worker_bootstrap.py")


def base_python() -> str:
    """The interpreter under the runner's virtualenv: workers must not see the venv's site-packages."""
    return getattr(sys, "_base_executable", None) or sys.executable


def worker_command() -> list[str]:
    """-I: no PYTHON* variables, no user site, no script dir on sys.path; -S: no site-packages at all."""
    return [base_python(), "-I", "-S", "-u", str(BOOTSTRAP)]


@contextlib.contextmanager
def build_lock(build_root: Path) -> Iterator[None]:
    """One builder at a time per build folder (several runner instances may share it)."""
    build_root.mkdir(parents=True, exist_ok=True)
    with open(build_root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_runtime(build_root: Path) -> Path:
    """build/runtime holds awslambdaric and its dependencies, installed once (stamped by requirements)."""
    with build_lock(build_root):
        return _ensure_runtime(build_root)


def _ensure_runtime(build_root: Path) -> Path:
    target = build_root / "runtime"
    stamp = target / ".requirements"
    wanted = "\n".join(RUNTIME_REQUIREMENTS) + f"\npython {sys.version_info[:2]}\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        return target
    tmp = build_root / "runtime.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    pip_install(list(RUNTIME_REQUIREMENTS), tmp)
    (tmp / ".requirements").write_text(wanted)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def pip_install(args: list[str], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
           "--no-compile", "--target", str(target), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"pip install {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
