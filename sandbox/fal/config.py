"""The stand-in's settings: one object, read by every part, changeable at run time by the admin API."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sandbox.fal.errors import ConfigError

DEFAULT_KEY = "sandbox-key-id:sandbox-key-secret"

# FAL retries a failed delivery 10 times over about two hours; these are the waits before each retry, in seconds.
FAL_RETRY_DELAYS: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 900, 1200, 1800, 2160)


@dataclass
class SandboxConfig:
    """Everything the stand-in can be told. Times are seconds.

    Jobs wait `queue_delay` in the queue, then run for `processing_delay`. A job fails when its prompt or
    trigger contains `fail_marker`, or by chance with `failure_rate` (drawn from a generator seeded with
    `failure_seed`, so a run is repeatable). A prompt containing `payload_error_marker` is delivered with
    `payload: null` and `payload_error`; one containing `nsfw_marker` has its images flagged. With
    `fetch_inputs`, trainers download `images_data_url` and fail (422) unless it is a zip of images.
    With `drop_webhooks`, finished jobs log their delivery as "dropped" and send nothing (a lost webhook).
    """

    key: str = DEFAULT_KEY
    user_id: str = "sandbox-user"
    queue_delay: float = 0.5
    processing_delay: float = 1.0
    failure_rate: float = 0.0
    failure_seed: int = 0
    fail_marker: str = "FAIL"
    nsfw_marker: str = "nsfw"
    payload_error_marker: str = "PAYLOAD_ERROR"
    webhook_timeout: float = 15.0
    retry_delays: tuple[float, ...] = FAL_RETRY_DELAYS
    retry_time_scale: float = 1.0
    files_available: bool = True
    files_over_https: bool = True
    fetch_inputs: bool = False
    drop_webhooks: bool = False
    max_concurrency: int = 2
    keep_old_keys: bool = True

    def retry_waits(self) -> list[float]:
        return [delay * self.retry_time_scale for delay in self.retry_delays]

    def update(self, changes: dict[str, Any]) -> None:
        """Apply admin changes, checking names and types; raise ConfigError without applying any on a bad one."""
        known = {f.name: f for f in dataclasses.fields(self)}
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                raise ConfigError(f"unknown setting {name!r}")
            current = getattr(self, name)
            checked[name] = _coerce(name, current, value)
        for name, value in checked.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["key"] = "***"
        data["retry_delays"] = list(self.retry_delays)
        return data

    def copy(self) -> SandboxConfig:
        return dataclasses.replace(self)


def _coerce(name: str, current: Any, value: Any) -> Any:
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be a boolean")
        return value
    if isinstance(current, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name} must be a number")
        if value < 0:
            raise ConfigError(f"{name} must not be negative")
        if name == "failure_rate" and value > 1:
            raise ConfigError("failure_rate must be between 0 and 1")
        return type(current)(value)
    if isinstance(current, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, int | float) for v in value):
            raise ConfigError(f"{name} must be a list of numbers")
        return tuple(float(v) for v in value)
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string")
    return value
