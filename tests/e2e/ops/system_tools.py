"""System tools the operations tests run (Debian packages, not pip ones)."""

from __future__ import annotations

import os
import shutil

import pytest


def need(tool: str) -> str:
    """The path of a system tool the test needs; its absence is a failure that says how to install it."""
    found = shutil.which(tool) or next((p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}") if os.path.exists(p)),
                                       None)
    if found is None:
        pytest.fail(f"{tool} is not installed (Debian: apt-get install prometheus nginx); .ci/run installs it")
    return found
