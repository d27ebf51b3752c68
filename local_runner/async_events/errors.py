"""Errors of the async event machinery (all are RunnerError)."""

from __future__ import annotations

from local_runner.errors import RunnerError


class EventError(RunnerError):
    """Root of the async event errors."""


class EventConfigError(EventError):
    """A setting of the event queue or the scheduler is invalid."""


class ScheduleError(EventError):
    """A schedule expression cannot be run (unsupported cron feature, bad field)."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"schedule {expression!r}: {reason}")
        self.expression = expression


class FailureNotFound(EventError):
    """No parked event has this id."""

    def __init__(self, failure_id: str) -> None:
        super().__init__(f"no parked event with id {failure_id!r}")
        self.failure_id = failure_id
