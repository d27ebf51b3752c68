"""GET /metrics: the domain's figures from PostgreSQL, in Prometheus' text format (read only)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.metrics import metrics_handler as handler

__all__ = ["handler"]
