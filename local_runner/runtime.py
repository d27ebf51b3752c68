"""The worker's runtime directory (AWS's runtime interface client, pip-installed) and interpreter."""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from local_runner.bytecode import compile_tree
from local_runner.errors import BuildError

RUNTIME_REQUIREMENTS = ("awslambdaric==4.2.2",)
BOOTSTRAP = Path(__file__).with_name("worker_bootstrap.py")


def base_python() -> str:
    """The interpreter under the runner's virtualenv: workers must not see the venv's site-packages."""
    return getattr(sys, "_base_executable", None) or sys.executable


def worker_command() -> list[str]:
    """-I: no PYTHON* variables, no user site, no script dir on sys.path; -S: no site-packages at all;
    -B: no .pyc written, as Lambda's read-only code folders (the build ships the bytecode)."""
    return [base_python(), "-I", "-S", "-B", "-u", str(BOOTSTRAP)]


CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def execution_credentials(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The credentials a worker gets, as Lambda's execution role provides them (the manifest may not name
    them): RUNNER_AWS_ACCESS_KEY_ID etc. if set, else the runner's own AWS_ACCESS_KEY_ID etc."""
    env = os.environ if environ is None else environ
    prefixed = {k: env["RUNNER_" + k] for k in CREDENTIAL_VARIABLES if env.get("RUNNER_" + k)}
    if prefixed:
        return prefixed
    return {k: env[k] for k in CREDENTIAL_VARIABLES if env.get(k)}


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
    # the full version: pip's environment markers see this interpreter's patch release (see build._platform)
    wanted = "\n".join(RUNTIME_REQUIREMENTS) + f"\npython {platform.python_version()}\nbytecode unchecked-hash\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        return target
    tmp = build_root / "runtime.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    pip_install(list(RUNTIME_REQUIREMENTS), tmp)
    compile_tree(sys.executable, tmp, "/var/runtime")  # the runner's own part, run by this interpreter
    (tmp / ".requirements").write_text(wanted)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


Progress = Callable[[str], None]


def pip_install(args: list[str], target: Path, platform_args: list[str] | None = None,
                progress: Progress | None = None) -> None:
    """pip install --target; `platform_args` fetch wheels for another platform (Lambda's), `progress` hears
    each package pip collects (the first build downloads for a minute or more)."""
    target.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-compile",
           "--progress-bar", "off", "--target", str(target), *(platform_args or []), *args]
    tail: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None  # closed, and pip waited for, as the block ends (a runner builds for life)
        for line in proc.stdout:
            tail = [*tail[-60:], line]
            if progress is not None and line.startswith(("Collecting ", "Processing ", "Installing collected")):
                progress(line.strip())
    if proc.returncode != 0:
        text = "".join(tail)
        missing = [ln.split("for ", 1)[1].strip() for ln in tail if "No matching distribution found for" in ln]
        if missing and platform_args:
            raise BuildError(f"{missing[0]}: no binary wheel for this Lambda platform "
                             f"({' '.join(platform_args)}); pin a version that ships one:\n{text[-3000:]}")
        raise BuildError(f"pip install {' '.join(args)} failed:\n{text[-4000:]}")
