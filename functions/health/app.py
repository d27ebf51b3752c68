"""GET /health: 200 with each component's state and the version, or 503 naming what failed.

nginx uses it as the upstream check, so it must say unhealthy when a dependency is down; within a second,
since a worker reuses its last result that long (aisha.health.HealthCheck: the route is public).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aisha.init_phase import init_phase

with init_phase():
    from aisha.config import load_settings
    from aisha.health import HealthCheck
    from aisha.storage import Storage
    from aisha.worker import warm_if_provisioned

CHECK_TIMEOUT_SECONDS = 2.0


@cache
def _health() -> HealthCheck:  # made once per worker process, on first use (not at import)
    settings = load_settings()
    storage = Storage(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region, timeout=CHECK_TIMEOUT_SECONDS)
    return HealthCheck(settings, storage=storage, timeout=CHECK_TIMEOUT_SECONDS)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    healthy, report = _health().run()
    return {
        "statusCode": 200 if healthy else 503,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(report),
    }


# provisioned (a probe right after a start must not wait for an init): its first one finds the check made
with init_phase():
    warm_if_provisioned(check=lambda: _health().run())
