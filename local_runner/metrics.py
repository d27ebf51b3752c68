"""Prometheus metrics of one runner, on a registry of its own (no global state, nothing at import).

The text exposition leaves out prometheus_client's `*_created` series: each counter and histogram would
otherwise show up twice (`x_total` and `x_created`), which Prometheus ingests as a second series per label
set. Filtered at render time rather than with `disable_created_metrics()`, which flips a process global.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.invocations = Counter("runner_invocations", "Invocations by function and outcome",
                                   ["function", "outcome"], registry=r)
        self.errors = Counter("runner_errors", "Invocations that failed (handler error, timeout, memory, exit)",
                              ["function", "error_type"], registry=r)
        self.throttles = Counter("runner_throttles", "Invocations refused for concurrency", ["function"], registry=r)
        self.timeouts = Counter("runner_timeouts", "Invocations killed at their deadline", ["function"], registry=r)
        self.cold_starts = Counter("runner_cold_starts", "Invocations that started a worker", ["function"],
                                   registry=r)
        self.duration = Histogram("runner_invocation_duration_seconds", "Handler duration", ["function"],
                                  buckets=BUCKETS, registry=r)
        self.init_duration = Histogram("runner_init_duration_seconds", "Worker init (cold start) duration",
                                       ["function"], buckets=BUCKETS, registry=r)
        self.warm_workers = Gauge("runner_warm_workers", "Idle workers ready to serve", ["function"], registry=r)
        self.busy_workers = Gauge("runner_busy_workers", "Workers running an invocation", ["function"], registry=r)
        self.inits_in_flight = Gauge("runner_inits_in_flight", "Workers starting (init phase)", ["function"],
                                     registry=r)
        self.queued = Gauge("runner_queued_invocations", "Invocations waiting for a worker", ["function"], registry=r)
        self.budget_used = Gauge("runner_budget_used", "Instance worker budget in use (workers, memory_mb, "
                                 "connections) beside its limit", ["resource", "kind"], registry=r)
        self.http_requests = Counter("runner_http_requests", "HTTP requests by kind and status",
                                     ["kind", "status"], registry=r)
        self._children: dict[tuple[object, tuple[str, ...]], Any] = {}

    def child(self, metric: Counter | Gauge | Histogram, *labels: str) -> Any:
        """`metric.labels(*labels)`, looked up once: labels() costs a lock and a tuple per call, and the hot
        path records several metrics per invocation (py-spy: 8 % of the front's CPU)."""
        key = (metric, labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def render(self) -> bytes:
        return generate_latest(_WithoutCreated(self.registry))


class _WithoutCreated:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        for metric in self.registry.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric
