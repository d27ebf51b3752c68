"""One worker process: a Lambda execution environment running awslambdaric against our Runtime API.

The worker lives through: starting (init, until its first `/next`) -> idle <-> busy -> dead. It runs one
invocation at a time. It is killed on timeout, on memory breach, or when it posts an init error; a worker
that dies by itself fails only the invocation it was running.

Memory (local_runner.memory): the resident set of the worker's whole process tree, sampled every
`poll_interval` while invocations run and once a second while idle, off the invocation path: an invocation
never waits for a sample, and a burst of short invocations costs one sample per interval, not one each.
Over `memory_mb` the process group is killed (`Runtime.OutOfMemory`). REPORT's Max Memory Used is the
highest sample so far (as Lambda's, a peak over the execution environment's life).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from local_runner.logs import LogSink
from local_runner.memory import TreeMemory

IDLE_POLL_SECONDS = 1.0


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    timeout: float
    invoked_function_arn: str
    trace_id: str
    deadline_ms: int = 0
    started: float = 0.0
    client_context: str | None = None
    future: asyncio.Future[Outcome] | None = None


@dataclass
class Outcome:
    payload: bytes
    error_type: str | None = None  # None on success; Lambda's errorType otherwise
    timed_out: bool = False
    worker_lost: bool = False  # the worker must not be reused (killed or exited)


@dataclass
class WorkerSpec:
    function: str
    command: list[str]
    env: Mapping[str, str]
    cwd: str
    memory_mb: int
    init_timeout: float
    poll_interval: float = 0.05
    log_tail_bytes: int = 4096
    generation: int = 0
    nice: int = 0  # added to the worker's nice value once it is started (RunnerConfig.worker_nice)


def _error_payload(request_id: str, error_type: str, detail: str) -> bytes:
    return json.dumps({"errorMessage": f"RequestId: {request_id} Error: {detail}", "errorType": error_type}).encode()


class Worker:
    def __init__(self, spec: WorkerSpec, port: int, sink: LogSink, on_dead: Callable[[Worker], None], *,
                 provisioned: bool = False) -> None:
        self.spec = spec
        self.provisioned = provisioned  # started ahead of demand (AWS_LAMBDA_INITIALIZATION_TYPE)
        self.port = port
        self.sink = sink
        self._on_dead = on_dead
        self.proc: asyncio.subprocess.Process | None = None
        self.state = "starting"
        self.spawned = time.monotonic()
        self.init_duration_ms: float | None = None
        self.init_timed_out = False
        self.last_used = time.monotonic()
        self.max_rss_kb = 0
        self.current: Invocation | None = None
        self.invocations = 0
        self._ready: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._pending: Invocation | None = None  # handed over at the worker's next /next
        self._tree: TreeMemory | None = None
        self._watch_handle: asyncio.TimerHandle | None = None
        self._slow = False  # the memory watch is on its idle pace
        self._ran = False  # an invocation started since the memory watch's last sample
        self._next: asyncio.Future[Invocation] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._read_fd = -1
        self._partial = b""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        stream = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
        env = dict(self.spec.env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{self.port}", AWS_LAMBDA_LOG_STREAM_NAME=stream)
        if self.provisioned:
            env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "provisioned-concurrency"
        self.spawned = time.monotonic()  # the init limit counts from the launch, not from any wait before it
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.spec.command, env=env, cwd=self.spec.cwd, stdin=asyncio.subprocess.DEVNULL,
                stdout=write_fd, stderr=write_fd, start_new_session=True)
        finally:
            os.close(write_fd)
        if self.spec.nice:
            with contextlib.suppress(OSError):  # gone already: its exit is watched below
                os.setpriority(os.PRIO_PROCESS, self.proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + self.spec.nice)
        self._read_fd = read_fd
        asyncio.get_running_loop().add_reader(read_fd, self._drain_output)
        self._tasks = [asyncio.create_task(self._watch_exit())]
        self._tree = TreeMemory(self.proc.pid)
        self._schedule_watch(self.spec.poll_interval)

    async def wait_ready(self, timeout: float | None = None) -> bytes | None:
        """None when the worker reached its first /next; the init error payload otherwise (the worker is then
        dead and `init_duration_ms` says how long the failed init took)."""
        limit = self.spec.init_timeout if timeout is None else timeout
        try:
            error = await asyncio.wait_for(asyncio.shield(self._ready), limit)
        except TimeoutError:
            self.init_timed_out = True
            self.kill()
            error = _error_payload("", "Sandbox.Timedout", f"Init phase timed out after {limit:.2f} seconds")
        if error is not None and self.init_duration_ms is None:
            self.init_duration_ms = (time.monotonic() - self.spawned) * 1000
        return error

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._mark_dead()

    def _mark_dead(self) -> None:
        if self.state == "dead":
            return
        self.state = "dead"
        self._stop_watch()
        if not self._ready.done():
            self._ready.set_result(_error_payload("", "Runtime.ExitError", "Runtime exited during init"))
        if self._next is not None and not self._next.done():
            self._next.cancel()
        self._on_dead(self)

    async def _watch_exit(self) -> None:
        assert self.proc is not None
        code = await self.proc.wait()
        self._drain_output()
        if self._partial:  # a last line without its newline
            rid = self.current.request_id if self.current else None
            self.sink.emit(self.spec.function, rid, self._partial.decode("utf-8", "replace"), stream=True)
            self._partial = b""
        self._close_output()
        inv, self.current = self.current, None
        if inv is not None and inv.future is not None and not inv.future.done():
            detail = f"Runtime exited with error: {_exit_text(code)}"
            inv.future.set_result(Outcome(_error_payload(inv.request_id, "Runtime.ExitError", detail),
                                          "Runtime.ExitError", worker_lost=True))
        self._mark_dead()

    def _watch(self) -> None:
        """One memory sample, then the next one scheduled: a timer callback, no task and no wait per cycle."""
        self._watch_handle = None
        if self._tree is None or self.proc is None or self.proc.returncode is not None or self.state == "dead":
            self._stop_watch()
            return
        rss = self._tree.sample()
        self.max_rss_kb = max(self.max_rss_kb, rss)
        if rss > self.spec.memory_mb * 1024:
            inv, self.current = self.current, None
            self.sink.emit(self.spec.function, inv.request_id if inv else None,
                           f"worker {self.proc.pid} over its memory size ({rss // 1024} MB > "
                           f"{self.spec.memory_mb} MB): killed", level="ERROR")
            self.kill()
            if inv is not None and inv.future is not None and not inv.future.done():
                inv.future.set_result(Outcome(
                    _error_payload(inv.request_id, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"),
                    "Runtime.OutOfMemory", worker_lost=True))
            return
        # Idle since the last sample: once a second, until an invocation starts (run() brings the pace back).
        self._slow = self.state == "idle" and not self._ran
        self._ran = False
        self._schedule_watch(IDLE_POLL_SECONDS if self._slow else self.spec.poll_interval)

    def _stop_watch(self) -> None:
        if self._watch_handle is not None:
            self._watch_handle.cancel()
            self._watch_handle = None
        if self._tree is not None:
            self._tree.close()
            self._tree = None

    def _schedule_watch(self, delay: float) -> None:
        if self._watch_handle is not None:
            self._watch_handle.cancel()
        self._watch_handle = asyncio.get_running_loop().call_later(delay, self._watch)

    # -- output ----------------------------------------------------------------------------------------
    def _drain_output(self, request_id: str | None = None) -> None:
        if self._read_fd < 0:
            return
        while True:
            try:
                chunk = os.read(self._read_fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self._close_output()
                break
            self._partial += chunk
        *lines, self._partial = self._partial.split(b"\n")
        rid = request_id or (self.current.request_id if self.current else None)
        for line in lines:
            self.sink.emit(self.spec.function, rid, line.decode("utf-8", "replace").rstrip("\r"), stream=True)

    def _close_output(self) -> None:
        if self._read_fd >= 0:
            asyncio.get_running_loop().remove_reader(self._read_fd)
            os.close(self._read_fd)
            self._read_fd = -1

    # -- invocation ------------------------------------------------------------------------------------
    async def run(self, inv: Invocation) -> Outcome:
        """Hand the invocation to the waiting /next and wait for its outcome, killing at the deadline."""
        loop = asyncio.get_running_loop()
        inv.future = loop.create_future()
        inv.started = time.monotonic()
        inv.deadline_ms = int((time.time() + inv.timeout) * 1000)
        self.state, self.current = "busy", inv
        self._ran = True
        if self._slow:  # the first sample comes one interval into the work
            self._slow = False
            self._schedule_watch(self.spec.poll_interval)
        self.invocations += 1
        if self._next is not None and not self._next.done():
            self._next.set_result(inv)  # the worker's /next is waiting
        else:
            self._pending = inv  # taken by its next /next
        self._next = None
        deadline = loop.call_later(inv.timeout, self._time_out, inv)  # a timer, not wait_for: no extra task
        try:
            return await inv.future
        except asyncio.CancelledError:  # the caller gave up: the worker still runs it, so it cannot be reused
            self.current = None
            self.kill()
            raise
        finally:
            deadline.cancel()
            self._drain_output(inv.request_id)
            self.last_used = time.monotonic()
            if self.state == "busy":
                self.state = "idle"

    def _time_out(self, inv: Invocation) -> None:
        if inv.future is None or inv.future.done():
            return
        self.current = None
        self.kill()
        inv.future.set_result(Outcome(_error_payload(inv.request_id, "Sandbox.Timedout",
                                                     f"Task timed out after {inv.timeout:.2f} seconds"),
                                      "Sandbox.Timedout", timed_out=True, worker_lost=True))

    # -- Runtime API callbacks -------------------------------------------------------------------------
    def next_invocation(self) -> asyncio.Future[Invocation]:
        """The worker's /next: a future of its next invocation (cancelled when the worker dies)."""
        if not self._ready.done():
            self.init_duration_ms = (time.monotonic() - self.spawned) * 1000
            self.state = "idle"
            self._ready.set_result(None)
        fut: asyncio.Future[Invocation] = asyncio.get_running_loop().create_future()
        if self.state == "dead":
            fut.cancel()
        elif self._pending is not None:
            fut.set_result(self._pending)
            self._pending = None
        else:
            self._next = fut
        return fut

    def post_result(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        inv = self.current
        if inv is None or inv.request_id != request_id or inv.future is None or inv.future.done():
            return False
        self.current = None
        inv.future.set_result(Outcome(body, error_type))
        return True

    def post_init_error(self, body: bytes) -> None:
        if not self._ready.done():
            self._ready.set_result(body or _error_payload("", "Runtime.Unknown", "init failed"))


_SIGNAL_TEXT: dict[int, str] = {int(signal.SIGKILL): "killed", int(signal.SIGTERM): "terminated",
                                int(signal.SIGSEGV): "segmentation fault", int(signal.SIGABRT): "aborted"}


def _exit_text(code: int) -> str:
    """As Lambda words it (Go's os.ProcessState): `signal: killed`, `exit status 1`."""
    if code < 0:
        return f"signal: {_SIGNAL_TEXT.get(-code, str(-code))}"
    return f"exit status {code}"
