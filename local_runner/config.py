"""The runner's settings: one object, read once, every knob named in one place.

Environment: RUNNER_IDLE_TIMEOUT, RUNNER_THROTTLE_WAIT, RUNNER_MAX_WORKERS_PER_FUNCTION, RUNNER_MAX_BODY_BYTES,
RUNNER_MAX_EVENT_BYTES, RUNNER_API_TIMEOUT, RUNNER_INIT_TIMEOUT, RUNNER_MEMORY_POLL_INTERVAL, RUNNER_REGION,
RUNNER_ACCOUNT_ID, RUNNER_TRUSTED_PROXIES, REDIS_URL, and the scaling limits RUNNER_MAX_INITS,
RUNNER_MAX_INITS_PER_FUNCTION, RUNNER_MAX_QUEUE_PER_FUNCTION, RUNNER_MAX_WORKERS, RUNNER_MAX_MEMORY_MB,
RUNNER_CONNECTIONS_PER_WORKER, RUNNER_MAX_CONNECTIONS, RUNNER_WORKER_NICE (the field name upper-cased after
RUNNER_);
command-line flags override them. A value that does not parse is a `ConfigError` naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runner.errors import ConfigError

ENV_PREFIX = "RUNNER_"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """'127.0.0.1, ::1, 10.0.0.0/8' -> networks; a bare address is a /32 (or /128)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError("must be a finite number >= 0")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be an integer >= 0")
    return value


def _nice(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 19:
        raise ValueError("must be a nice increment from 0 to 19")
    return value


def _text(raw: str) -> str:
    return raw


_PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "idle_timeout": (_positive_float, "seconds"),
    "throttle_wait": (_positive_float, "seconds"),
    "init_timeout": (_positive_float, "seconds"),
    "memory_poll_interval": (_positive_float, "seconds"),
    "api_timeout": (_positive_float, "seconds"),
    "max_workers_per_function": (_positive_int, "an integer"),
    "max_body_bytes": (_positive_int, "bytes, an integer"),
    "max_event_bytes": (_positive_int, "bytes, an integer"),
    "max_inits": (_positive_int, "an integer"),
    "max_inits_per_function": (_positive_int, "an integer"),
    "max_queue_per_function": (_positive_int, "an integer"),
    "max_workers": (_positive_int, "an integer"),
    "max_memory_mb": (_positive_int, "megabytes, an integer"),
    "connections_per_worker": (_positive_int, "an integer"),
    "max_connections": (_positive_int, "an integer"),
    "worker_nice": (_nice, "an integer from 0 to 19"),
    "region": (_text, "a region name"),
    "account_id": (_text, "an account id"),
    "trusted_proxies": (parse_networks, "comma-separated IP addresses or CIDR networks"),
}


@dataclass(frozen=True)
class RunnerConfig:
    manifest: Path = Path("chalice.json")
    stage: str = "dev"
    build_dir: Path | None = None  # default: <manifest folder>/build
    region: str = "us-east-1"
    account_id: str = "000000000000"
    idle_timeout: float = 300.0  # a warm worker idle this long is stopped: the next call is a cold start
    throttle_wait: float = 1.0  # seconds a request waits for a concurrency slot before 429
    max_workers_per_function: int = 16  # cap when a function has no reserved_concurrency
    max_body_bytes: int = 6 * 1024 * 1024  # Lambda's synchronous payload limit
    max_event_bytes: int = 1024 * 1024  # Lambda's asynchronous (Event) payload limit: 1 MB since 2025
    api_timeout: float = 29.0  # API Gateway's integration timeout: HTTP callers get 504 after it
    init_timeout: float = 10.0  # Lambda's init phase limit, apart from the invocation's timeout
    memory_poll_interval: float = 0.05
    redis_url: str | None = None
    log_tail_bytes: int = 4096
    # Scaling (local_runner.budget): 0 means the default computed from the host, see Limits.resolve.
    max_inits: int = 0  # inits in flight per instance (default: the number of cores)
    max_inits_per_function: int = 0  # inits in flight per function (default: max_inits)
    max_queue_per_function: int = 32  # callers waiting for a worker; one more gets 429 at once
    max_workers: int = 0  # workers per instance, all functions together (default: 8 per core)
    max_memory_mb: int = 0  # sum of the workers' lambda_memory_size (default: half the physical memory)
    connections_per_worker: int = 0  # database connections one worker may open (its pool max); 0: not counted
    max_connections: int = 0  # database connections per instance; 0: no limit
    # TCP peers whose X-Forwarded-For is believed (nginx in front); none by default: sourceIp is the peer.
    trusted_proxies: tuple[Network, ...] = ()
    # Workers run this much nicer than the front (and than PostgreSQL, Redis and nginx): on a saturated host
    # function code waits for a core, not the process every request and every Runtime API call crosses.
    worker_nice: int = 5

    @property
    def build_root(self) -> Path:
        return self.build_dir if self.build_dir is not None else self.manifest.resolve().parent / "build"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> RunnerConfig:
        """Defaults < RUNNER_* environment variables (and REDIS_URL) < explicit overrides (the CLI)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (parse, expected) in _PARSERS.items():
            var = ENV_PREFIX + name.upper()
            raw = env.get(var)
            if raw is None or not raw.strip():
                continue
            try:
                values[name] = parse(raw.strip())
            except ValueError as exc:
                raise ConfigError(f"{var}={raw!r} is not valid: expected {expected} ({exc})", variable=var) from None
        if env.get("REDIS_URL"):
            values["redis_url"] = env["REDIS_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
