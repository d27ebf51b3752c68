"""Prometheus metrics of the async part, registered once per registry (the default one unless given)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_BY_REGISTRY: dict[int, EventMetrics] = {}


@dataclass(frozen=True)
class EventMetrics:
    enqueued: Counter
    outcomes: Counter
    attempt_seconds: Histogram
    schedule_fires: Counter
    queue: Gauge


def event_metrics(registry: CollectorRegistry | None = None) -> EventMetrics:
    registry = REGISTRY if registry is None else registry
    found = _BY_REGISTRY.get(id(registry))
    if found is not None:
        return found
    metrics = EventMetrics(
        enqueued=Counter("runner_async_events_enqueued", "Event invocations queued", ["function"],
                         registry=registry),
        outcomes=Counter("runner_async_event_attempts", "Event invocation attempts by outcome "
                         "(succeeded, retried, parked, throttled)", ["function", "outcome"], registry=registry),
        attempt_seconds=Histogram("runner_async_event_attempt_seconds", "Duration of one Event attempt",
                                  ["function"], registry=registry),
        schedule_fires=Counter("runner_schedule_fires", "Schedule periods fired by this instance",
                               ["function", "schedule"], registry=registry),
        queue=Gauge("runner_async_queue_entries", "Event queue entries by state (stream: waiting or running; "
                    "pending: running; delayed: waiting for a retry; failed: parked)", ["state"], registry=registry),
    )
    _BY_REGISTRY[id(registry)] = metrics
    return metrics
