"""Handler of the metrics function: one read-only transaction, rendered for Prometheus.

It needs only the database, so it keeps a plain Resources (no bot, no FAL client): a cold start imports
little, and a scrape after a restart answers well within the function's timeout.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aisha.errors import DatabaseUnavailable, Unavailable
from aisha.handlers.edge import error_response
from aisha.resources import Resources
from aisha.services import metrics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@cache
def _resources() -> Resources:  # made once per worker process, on first use (not at import)
    return Resources.from_env()


def metrics_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        with _resources().db.transaction() as conn:
            conn.execute("SET TRANSACTION READ ONLY")
            families = metrics.collect(conn)
    except DatabaseUnavailable as exc:  # a failed scrape: Prometheus' up{job="aisha-domain"} says it
        return error_response(Unavailable(str(exc), code=exc.code))
    up = metrics.Family("aisha_metrics_up", "gauge", "1: the domain metrics were read from PostgreSQL")
    up.add(1)
    return {"statusCode": 200, "headers": {"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
            "body": metrics.render([*families, up]), "isBase64Encoded": False}
