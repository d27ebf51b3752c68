"""Asynchronous invocations: the durable Event queue (Redis Streams, one consumer group shared by every
runner instance), Lambda's retries and the failure list, and schedules that fire once per period."""

from local_runner.async_events.cli import failed_cli
from local_runner.async_events.config import EventSettings
from local_runner.async_events.consumer import EventConsumer
from local_runner.async_events.errors import EventConfigError, EventError, FailureNotFound, ScheduleError
from local_runner.async_events.queue import EventQueue
from local_runner.async_events.records import FailedEvent, QueuedEvent
from local_runner.async_events.scheduler import Firing, ScheduledFunction, Scheduler
from local_runner.async_events.store import EventStore, read_stats

__all__ = [
    "EventConfigError",
    "EventConsumer",
    "EventError",
    "EventQueue",
    "EventSettings",
    "EventStore",
    "FailedEvent",
    "FailureNotFound",
    "Firing",
    "QueuedEvent",
    "ScheduleError",
    "ScheduledFunction",
    "Scheduler",
    "failed_cli",
    "read_stats",
]
