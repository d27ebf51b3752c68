"""Point this process's fal-client at a FAL stand-in: it reads its hosts when imported, so it is
reloaded after the environment changes (the e2e stack and the core reconcile tests share this)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping

KEYS = ("FAL_KEY", "FAL_RUN_HOST", "FAL_QUEUE_RUN_HOST", "SSL_CERT_FILE")


def use_fal_hosts(env: Mapping[str, str | None]) -> dict[str, str | None]:
    """Set (or, for None, unset) the FAL client variables from `env`; returns what they were before."""
    before = {key: os.environ.get(key) for key in KEYS}
    for key in KEYS:
        value = env.get(key)
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if "fal_client" in sys.modules:
        importlib.reload(sys.modules["fal_client.auth"])
        importlib.reload(sys.modules["fal_client.client"])
        importlib.reload(sys.modules["fal_client"])
    return before
