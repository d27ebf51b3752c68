"""Settings of the async event machinery, read once from an injectable environment.

Every environment variable this package reads is named here:

- ``REDIS_URL``                   the Redis holding the stream, the retry set, the failure list and schedule slots
- ``RUNNER_EVENTS_PREFIX``        key prefix (default ``lambda:events``): one prefix, one queue
- ``RUNNER_EVENTS_BACKOFF``       seconds before retry 1, retry 2, ... (default ``60,120``: Lambda's two retries)
- ``RUNNER_EVENTS_CONCURRENCY``   events of one function one runner instance runs at once (default 4)
- ``RUNNER_EVENTS_CLAIM_IDLE``    seconds after which an unacknowledged event of a silent consumer is reclaimed
                                  (default 30; live consumers refresh their events every third of that; an
                                  idle instance looks for such events every quarter of it)
- ``RUNNER_EVENTS_MAX_AGE``       seconds after the first enqueue when an event is parked instead of retried
                                  (default 21600, Lambda's six hours)
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from local_runner.async_events.errors import EventConfigError

DEFAULT_PREFIX = "lambda:events"
GROUP = "runners"


def _consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class EventSettings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    prefix: str = DEFAULT_PREFIX
    # Delay before each retry; its length is the number of retries (Lambda: two).
    backoff: tuple[float, ...] = (60.0, 120.0)
    concurrency: int = 4
    claim_idle: float = 30.0
    max_age: float = 6 * 3600.0
    block: float = 1.0  # how long one XREADGROUP waits for new entries, seconds
    poll: float = 0.5  # how often due retries are promoted (and entries reclaimed, while there are some)
    consumer: str = field(default_factory=_consumer_name)

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1

    def stream(self, function_name: str) -> str:
        """One stream per function, so one function's backlog never sits in front of another's events."""
        return f"{self.prefix}:stream:{function_name}"

    @property
    def stream_prefix(self) -> str:
        return f"{self.prefix}:stream:"

    @property
    def single_stream(self) -> str:
        """The one stream of all functions in earlier versions; migrated at consumer start."""
        return f"{self.prefix}:stream"

    @property
    def functions(self) -> str:
        """Set of the function names that have a stream."""
        return f"{self.prefix}:functions"

    @property
    def group(self) -> str:
        return GROUP

    @property
    def delayed(self) -> str:
        """Sorted set of retries waiting for their backoff, scored by due time."""
        return f"{self.prefix}:delayed"

    @property
    def failed(self) -> str:
        """Sorted set of parked events (id scored by park time); each event is a hash under failed_key(id)."""
        return f"{self.prefix}:failed"

    def delayed_key(self, retry_id: str) -> str:
        return f"{self.prefix}:delayed:{retry_id}"

    def failed_key(self, failure_id: str) -> str:
        return f"{self.prefix}:failed:{failure_id}"

    def slot_key(self, function_name: str, schedule_name: str, slot: int) -> str:
        return f"{self.prefix}:schedule:{function_name}:{schedule_name}:{slot}"

    def with_(self, **changes: object) -> EventSettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> EventSettings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("REDIS_URL"):
            values["redis_url"] = env["REDIS_URL"]
        if env.get("RUNNER_EVENTS_PREFIX"):
            values["prefix"] = env["RUNNER_EVENTS_PREFIX"]
        if env.get("RUNNER_EVENTS_BACKOFF"):
            values["backoff"] = _floats("RUNNER_EVENTS_BACKOFF", env["RUNNER_EVENTS_BACKOFF"])
        for name, key in (("RUNNER_EVENTS_CONCURRENCY", "concurrency"), ("RUNNER_EVENTS_CLAIM_IDLE", "claim_idle"),
                          ("RUNNER_EVENTS_MAX_AGE", "max_age")):
            if env.get(name):
                number = _floats(name, env[name])
                if len(number) != 1:
                    raise EventConfigError(f"{name} must be one number, got {env[name]!r}")
                values[key] = int(number[0]) if key == "concurrency" else number[0]
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.concurrency < 1:
            raise EventConfigError("concurrency must be at least 1")
        if self.claim_idle <= 0 or self.block <= 0 or self.poll <= 0:
            raise EventConfigError("claim_idle, block and poll must be positive")
        if any(b < 0 for b in self.backoff):
            raise EventConfigError("backoff delays must not be negative")
        if not self.prefix or any(c.isspace() for c in self.prefix):
            raise EventConfigError(f"invalid key prefix {self.prefix!r}")


def _floats(name: str, raw: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise EventConfigError(f"{name} must be comma-separated numbers, got {raw!r}") from None
