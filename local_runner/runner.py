"""The pure invoke path: manifest + build + worker pools behind `Runner.invoke` (the `Invoker` contract).

No HTTP front here: the HTTP server, the Invoke API, the CLI's `invoke` and the async event consumer all
call `Runner.invoke`, which runs the function in an isolated worker and waits, with Lambda's semantics.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Iterable

from local_runner import ids
from local_runner.budget import Budget, Limits
from local_runner.build import Builder
from local_runner.config import RunnerConfig
from local_runner.errors import RequestTooLarge, Throttled
from local_runner.invoke import UNHANDLED, InvocationResult
from local_runner.logs import LogSink, report_line
from local_runner.manifest import Function, Manifest
from local_runner.metrics import Metrics
from local_runner.pool import FunctionPool, PoolLimits
from local_runner.runtime import ensure_runtime, execution_credentials, worker_command
from local_runner.runtime_api import RuntimeApi
from local_runner.worker import Invocation, Outcome, WorkerSpec

RUNTIME_ENV = "AWS_Lambda_python{0.major}.{0.minor}"
PROVISIONED_INIT_SECONDS = 130.0  # Lambda: a provisioned init may take max(130 s, the function timeout)


class Runner:
    def __init__(self, manifest: Manifest, config: RunnerConfig, *, metrics: Metrics | None = None,
                 sink: LogSink | None = None) -> None:
        self.manifest = manifest
        self.config = config
        self.metrics = metrics or Metrics()
        self.sink = sink or LogSink(config.log_tail_bytes)
        self.builder = Builder(manifest, config.build_root, zips=False)
        self.api = RuntimeApi()
        self.pools: dict[str, FunctionPool] = {}
        c = config
        self.budget = Budget(Limits.resolve(c.max_workers, c.max_memory_mb, c.max_inits, c.connections_per_worker,
                                            c.max_connections))
        self.runtime_dir = config.build_root / "runtime"
        self._reaper: asyncio.Task[None] | None = None
        self.started = False

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self, *, provision: bool = True) -> None:
        """Build, open the Runtime API, create the pools; start the provisioned workers unless told not to
        (the one-shot `invoke` command needs none)."""
        loop = asyncio.get_running_loop()
        self.builder.check_runs_here()
        self.runtime_dir = await loop.run_in_executor(None, ensure_runtime, self.config.build_root)
        await loop.run_in_executor(None, self.builder.build_all)
        await self.api.start()
        for fn in self.manifest.functions.values():
            self.pools[fn.name] = FunctionPool(self.worker_spec(fn), self.pool_limits(fn), self.api, self.sink,
                                               self.metrics, self.budget)
        for pool in self.pools.values():  # provisioned workers start now, within the init limits
            if not provision:
                pool.provisioned, pool.provisioned_ready = 0, True
            pool.scale()
        self._reaper = asyncio.create_task(self._reap_loop())
        self.started = True

    async def stop(self, drain_timeout: float = 30.0) -> None:
        """Let in-flight invocations finish (up to drain_timeout), then stop every worker."""
        await asyncio.gather(*(p.drain(drain_timeout) for p in self.pools.values()))
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        await asyncio.gather(*(p.stop() for p in self.pools.values()))
        await self.api.stop()
        self.started = False

    async def rebuild(self, names: Iterable[str]) -> list[str]:
        """Rebuild these functions; restart the workers of those whose build changed."""
        names = list(names)
        artifacts = await asyncio.get_running_loop().run_in_executor(None, self.builder.build_all, names)
        changed_layers = {a.name for a in artifacts if a.kind == "layer" and a.rebuilt}
        restarted = []
        for name in names:
            fn = self.manifest.functions[name]
            if any(a.kind == "function" and a.name == name and a.rebuilt for a in artifacts) or \
                    changed_layers & set(fn.layers):
                self.pools[name].reload(self.worker_spec(fn))
                restarted.append(name)
        return restarted

    def workers_spawnable(self) -> bool:
        return self.started and (self.runtime_dir / "awslambdaric").is_dir()

    def provisioned_ready(self) -> bool:
        """Every function's provisioned workers have been initialised (once, since start)."""
        return self.started and all(p.provisioned_ready for p in self.pools.values())

    def pool_limits(self, fn: Function) -> PoolLimits:
        c = self.config
        limit = c.max_workers_per_function if fn.reserved_concurrency is None else fn.reserved_concurrency
        return PoolLimits(concurrency=limit, throttle_wait=c.throttle_wait,
                          max_inits=c.max_inits_per_function or self.budget.limits.max_inits,
                          max_queue=c.max_queue_per_function, provisioned=fn.provisioned_concurrency,
                          provisioned_init_timeout=max(PROVISIONED_INIT_SECONDS, float(fn.lambda_timeout)))

    def budget_figures(self) -> dict[str, tuple[int, int]]:
        """(in use, limit) per resource of the instance budget; limit 0 means none."""
        b, lim = self.budget, self.budget.limits
        return {"workers": (b.workers, lim.max_workers), "memory_mb": (b.memory_mb, lim.max_memory_mb),
                "connections": (b.connections, lim.max_connections), "inits": (b.inits, lim.max_inits)}

    async def _reap_loop(self) -> None:
        interval = max(0.2, min(self.config.idle_timeout / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            for pool in self.pools.values():
                pool.reap_idle(self.config.idle_timeout)
            for resource, (used, limit) in self.budget_figures().items():
                self.metrics.budget_used.labels(resource, "used").set(used)
                self.metrics.budget_used.labels(resource, "limit").set(limit)

    # -- the execution environment ---------------------------------------------------------------------
    def arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.config.region}:{self.config.account_id}:function:{name}"

    def worker_spec(self, fn: Function) -> WorkerSpec:
        task_root = self.builder.function_dir(fn.name)
        python_path = [str(p) for p in self.builder.layer_paths(fn)] + [str(self.runtime_dir)]
        env = dict(fn.environment_variables)
        env.update(execution_credentials())  # what Lambda's execution role gives; the manifest may not set them
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.lambda_memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": RUNTIME_ENV.format(sys.version_info),
            "AWS_REGION": self.config.region,
            "AWS_DEFAULT_REGION": self.config.region,
            "_HANDLER": fn.handler,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
            "PYTHONPATH": ":".join(python_path),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        })
        return WorkerSpec(function=fn.name, command=worker_command(), env=env, cwd=str(task_root),
                          memory_mb=fn.lambda_memory_size,
                          init_timeout=self.config.init_timeout,
                          poll_interval=self.config.memory_poll_interval, nice=self.config.worker_nice)

    # -- the invoke path -------------------------------------------------------------------------------
    async def invoke(self, function_name: str, payload: bytes, *, request_id: str | None = None,
                     client_context: str | None = None) -> InvocationResult:
        """Run one invocation and wait for it. `client_context` is the JSON of boto3's ClientContext."""
        fn = self.manifest.function(function_name)
        if len(payload) > self.config.max_body_bytes:
            raise RequestTooLarge(len(payload), self.config.max_body_bytes)
        rid = request_id or ids.request_id()
        pool = self.pools[fn.name]
        self.sink.capture(rid)
        try:
            worker, init_error = await pool.acquire()
        except Throttled:
            self.sink.release(rid)
            self.metrics.invocations.labels(fn.name, "throttled").inc()
            self.metrics.throttles.labels(fn.name).inc()
            raise
        cold = worker.invocations == 0 and not worker.provisioned
        self.sink.emit(fn.name, rid, f"START RequestId: {rid} Version: $LATEST")
        started = time.monotonic()
        try:
            if init_error is not None:  # the init this caller waited for failed: its REPORT says how long
                cold = True
                started -= (worker.init_duration_ms or 0) / 1000
                outcome = Outcome(init_error, _error_type(init_error) or "Runtime.Unknown", worker_lost=True,
                                  timed_out=worker.init_timed_out)
            else:
                inv = Invocation(rid, payload or b"{}", float(fn.lambda_timeout), self.arn(fn.name),
                                 _trace_id(), client_context=client_context)
                outcome = await worker.run(inv)
                if outcome.error_type is None and len(outcome.payload) > self.config.max_body_bytes:
                    outcome = Outcome(json.dumps({
                        "errorMessage": f"Response payload size ({len(outcome.payload)} bytes) exceeded maximum "
                                        f"allowed payload size ({self.config.max_body_bytes} bytes).",
                        "errorType": "Function.ResponseSizeTooLarge"}).encode(), "Function.ResponseSizeTooLarge")
        finally:
            pool.release(worker)
        duration_ms = (time.monotonic() - started) * 1000
        error_type = (_error_type(outcome.payload) or outcome.error_type) if outcome.error_type else None
        self.sink.emit(fn.name, rid, f"END RequestId: {rid}")
        self.sink.emit(fn.name, rid, report_line(
            rid, duration_ms, fn.lambda_memory_size, max(1, worker.max_rss_kb // 1024),
            worker.init_duration_ms if cold else None, error_type))
        self._record(fn.name, duration_ms, cold, error_type, outcome.timed_out)
        return InvocationResult(payload=outcome.payload, function_error=UNHANDLED if error_type else None,
                                request_id=rid, duration_ms=duration_ms, log_tail=self.sink.release(rid),
                                error_type=error_type, cold_start=cold)

    def _record(self, name: str, duration_ms: float, cold: bool, error_type: str | None, timed_out: bool) -> None:
        m = self.metrics
        outcome = "timeout" if timed_out else "error" if error_type else "success"
        m.child(m.invocations, name, outcome).inc()
        m.child(m.duration, name).observe(duration_ms / 1000)
        if cold:
            m.cold_starts.labels(name).inc()
        if error_type:
            m.errors.labels(name, error_type).inc()
        if timed_out:
            m.timeouts.labels(name).inc()


def _error_type(payload: bytes) -> str | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    value = data.get("errorType") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{ids.hex_id(24)};Parent={ids.hex_id(16)};Sampled=0"
