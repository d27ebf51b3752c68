"""Bytecode compiled into a built tree, for the runtime's Python.

Lambda's code folders are read-only, so a package without `__pycache__` is compiled again at every cold
start. The invalidation mode is UNCHECKED_HASH: the .pyc records a hash of its source and the interpreter
does not re-check it. A timestamp pyc would be checked against the source's mtime, which a zip does not keep
faithfully (our zips store a fixed 1980 date so that equal inputs give equal bytes), and CHECKED_HASH
would re-read and hash every source at each import. Unchecked is safe here because a built tree is never
edited in place: the builder replaces the whole tree whenever an input's content changes.
`-d` records the path the code has on Lambda (/var/task, /opt), not this machine's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from local_runner.errors import BuildError


def compile_tree(python: str, tree: Path, lambda_dir: str) -> list[str]:
    """Compile every .py under tree; returns the files that do not compile (data, Python 2 leftovers)."""
    cmd = [python, "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
           "-d", lambda_dir, str(tree)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 1: some file did not compile, the rest did
        raise BuildError(f"compileall failed in {tree}:\n{proc.stderr[-2000:]}")
    return [line.split("'")[1] for line in proc.stdout.splitlines() if line.startswith("*** Error compiling '")]
