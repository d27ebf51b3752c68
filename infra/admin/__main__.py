"""Entry of `python -m infra.admin`: the core layer goes on sys.path before anything imports it."""

import sys

from infra.cli_env import core_on_path


def _run() -> int:
    core_on_path()
    from infra.admin.cli import main

    return main()


sys.exit(_run())
