"""Handler of the metrics function: one read-only transaction, rendered for Prometheus."""

from __future__ import annotations

from typing import Any

from aisha.db import DatabaseUnavailable
from aisha.handlers.apigw import json_response
from aisha.handlers.process_state import state
from aisha.services import metrics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    worker = state()
    try:
        with worker.db.transaction() as conn:
            conn.execute("SET TRANSACTION READ ONLY")
            families = metrics.collect(conn)
    except DatabaseUnavailable as exc:  # a failed scrape: Prometheus' up{job="aisha"} says it
        return json_response(503, {"error": exc.code, "message": str(exc)})
    up = metrics.Family("aisha_metrics_up", "gauge", "1: the domain metrics were read from PostgreSQL")
    up.add(1)
    return {"statusCode": 200, "headers": {"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
            "body": metrics.render([*families, up]), "isBase64Encoded": False}
