"""The runner's settings: one object, read once, every knob named in one place.

Environment: RUNNER_IDLE_TIMEOUT, RUNNER_THROTTLE_WAIT, RUNNER_MAX_WORKERS_PER_FUNCTION, RUNNER_MAX_BODY_BYTES,
RUNNER_API_TIMEOUT, RUNNER_INIT_TIMEOUT, RUNNER_MEMORY_POLL_INTERVAL, RUNNER_REGION, RUNNER_ACCOUNT_ID, REDIS_URL,
and the scaling limits RUNNER_MAX_INITS, RUNNER_MAX_INITS_PER_FUNCTION, RUNNER_MAX_QUEUE_PER_FUNCTION,
RUNNER_MAX_WORKERS, RUNNER_MAX_MEMORY_MB, RUNNER_CONNECTIONS_PER_WORKER, RUNNER_MAX_CONNECTIONS
(the field name upper-cased after RUNNER_); command-line flags override them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "RUNNER_"


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

    @property
    def build_root(self) -> Path:
        return self.build_dir if self.build_dir is not None else self.manifest.resolve().parent / "build"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> RunnerConfig:
        """Defaults < RUNNER_* environment variables (and REDIS_URL) < explicit overrides (the CLI)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        floats = ("idle_timeout", "throttle_wait", "init_timeout", "memory_poll_interval", "api_timeout")
        ints = ("max_workers_per_function", "max_body_bytes", "max_inits", "max_inits_per_function",
                "max_queue_per_function", "max_workers", "max_memory_mb", "connections_per_worker", "max_connections")
        for name in floats + ints + ("region", "account_id"):
            raw = env.get(ENV_PREFIX + name.upper())
            if raw:
                values[name] = float(raw) if name in floats else int(raw) if name in ints else raw
        if env.get("REDIS_URL"):
            values["redis_url"] = env["REDIS_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
