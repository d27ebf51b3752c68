"""The environment an operator's CLI runs with: the shell's, over `.local/services.env` when it exists.

`make services` / `make run` record where the local services listen in `.local/services.env`; a CLI
run from the repository finds them without `source`-ing that file by hand. A variable set in the
shell always wins over the file (a production host sets its own and has no such file).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE_LAYER = ROOT / "layers" / "core" / "python"
SERVICES_ENV = ROOT / ".local" / "services.env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (as `make services` writes them and a shell or systemd EnvironmentFile reads them)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def cli_environ(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> dict[str, str]:
    """`environ` (default os.environ) over the env file (default `.local/services.env`, if present)."""
    environ = os.environ if environ is None else environ
    path = SERVICES_ENV if env_file is None else env_file
    from_file = read_env_file(path) if path.exists() else {}
    return {**from_file, **environ}


def add_env_file_option(parser: argparse.ArgumentParser) -> None:
    """The `--env-file` option every operator CLI takes (read by `cli_environ`)."""
    parser.add_argument("--env-file", type=Path, default=None, help="default .local/services.env when present")


def core_on_path() -> None:
    """The core layer is imported from its source folder, as the tests do (functions get it as a layer)."""
    if str(CORE_LAYER) not in sys.path:
        sys.path.insert(0, str(CORE_LAYER))
