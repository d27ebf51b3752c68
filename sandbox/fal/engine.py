"""The queue itself: jobs move IN_QUEUE -> IN_PROGRESS -> COMPLETED on the stand-in's event loop.

No sockets here: the HTTP layer (routes.py) and the admin API call these methods; every method runs on
the stand-in's loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.fal.apps import App, FileStore, Outcome, known_apps, simulated_failure
from sandbox.fal.config import SandboxConfig
from sandbox.fal.errors import NotFound, QueueError
from sandbox.fal.signing import KeyRing
from sandbox.fal.webhooks import Deliverer, webhook_body

QUEUED, RUNNING, COMPLETED = "IN_QUEUE", "IN_PROGRESS", "COMPLETED"


@dataclass
class Job:
    request_id: str
    app_id: str  # owner/alias, as in the queue URLs
    path: str  # the endpoint path after owner/alias ("" for the root)
    arguments: dict[str, Any]
    webhook_url: str | None
    submitted_at: float
    status: str = QUEUED
    cancelled: bool = False
    started_at: float | None = None
    finished_at: float | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    outcome: Outcome | None = None
    force: str | None = None  # "ok" / "fail": set by the admin API's complete-now
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def log(self, message: str, level: str = "INFO") -> None:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.logs.append({"message": message, "level": level, "source": "user", "timestamp": stamp})

    def summary(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "app_id": self.app_id, "path": self.path, "status": self.status,
                "cancelled": self.cancelled, "arguments": self.arguments, "webhook_url": self.webhook_url,
                "submitted_at": self.submitted_at, "started_at": self.started_at, "finished_at": self.finished_at,
                "ok": None if self.outcome is None else self.outcome.ok,
                "result_status": None if self.outcome is None else self.outcome.status}


class QueueEngine:
    def __init__(self, config: SandboxConfig, keys: KeyRing, files: FileStore, deliverer: Deliverer) -> None:
        self.config = config
        self.keys = keys
        self.files = files
        self.deliverer = deliverer
        self.apps: dict[str, App] = known_apps()
        self.jobs: dict[str, Job] = {}
        self._rng = random.Random(config.failure_seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots_size = max(1, config.max_concurrency)
        self._slots = asyncio.Semaphore(self._slots_size)

    def reseed(self) -> None:
        self._rng = random.Random(self.config.failure_seed)

    async def reset(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.deliverer.cancel_all()
        for job in self.jobs.values():
            job.done.set()
        self.jobs.clear()
        self.deliverer.log.clear()
        self.files.files.clear()
        self.reseed()

    # queue API -----------------------------------------------------------------------------------------
    def submit(self, endpoint: str, arguments: dict[str, Any], webhook_url: str | None) -> Job:
        parts = endpoint.strip("/").split("/")
        app_id, path = "/".join(parts[:2]), "/".join(parts[2:])
        if len(parts) < 2 or app_id not in self.apps:
            raise NotFound(f"Application '{endpoint}' not found")
        job = Job(str(uuid.uuid4()), app_id, path, arguments, webhook_url, time.time())
        job.log(f"Request {job.request_id} queued for {app_id}")
        self.jobs[job.request_id] = job
        task = asyncio.get_running_loop().create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def run(self, endpoint: str, arguments: dict[str, Any]) -> Outcome:
        """FAL's synchronous run host: the job goes through the same queue, the caller waits for its outcome."""
        job = self.submit(endpoint, arguments, None)
        await job.done.wait()
        if job.outcome is None:  # the stand-in was reset meanwhile
            raise QueueError("Request was dropped", status=503)
        return job.outcome

    def find(self, app_id: str, request_id: str) -> Job:
        job = self.jobs.get(request_id)
        if job is None or job.app_id != app_id:
            raise NotFound(f"Request {request_id} not found")
        return job

    def queue_position(self, job: Job) -> int:
        waiting = sorted((j for j in self.jobs.values() if j.status == QUEUED and j.app_id == job.app_id),
                         key=lambda j: j.submitted_at)
        return next((i for i, j in enumerate(waiting) if j is job), 0)

    def status(self, job: Job, *, with_logs: bool) -> dict[str, Any]:
        answer: dict[str, Any] = {"status": job.status, "request_id": job.request_id}
        if job.status == QUEUED:
            answer["queue_position"] = self.queue_position(job)
        else:
            answer["logs"] = list(job.logs) if with_logs else None
        if job.status == COMPLETED:
            started = job.started_at or job.submitted_at
            answer["metrics"] = {"inference_time": round((job.finished_at or started) - started, 3)}
            if job.outcome is not None and not job.outcome.ok:
                answer["error"] = job.outcome.error
                answer["error_type"] = job.outcome.error_type
        return answer

    def result(self, job: Job) -> Outcome:
        if job.status != COMPLETED or job.outcome is None:
            raise QueueError("Request is still in progress", status=400)
        return job.outcome

    def cancel(self, job: Job) -> tuple[int, dict[str, str]]:
        if job.status == COMPLETED:
            return 400, {"status": "ALREADY_COMPLETED"}
        job.cancelled = True
        if job.status == QUEUED:
            job.wake.set()
        return 202, {"status": "CANCELLATION_REQUESTED"}

    def complete_now(self, job: Job, force: str | None = None) -> None:
        if force is not None:
            job.force = force
        job.wake.set()

    def redeliver(self, job: Job) -> None:
        if job.outcome is None or not job.webhook_url:
            raise QueueError("Request has no finished webhook to deliver", status=409)
        self._notify(job)

    # the job's life ------------------------------------------------------------------------------------
    async def _wait(self, job: Job, seconds: float) -> None:
        try:
            await asyncio.wait_for(job.wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _run(self, job: Job) -> None:
        await self._wait(job, self.config.queue_delay)
        if self._slots_size != max(1, self.config.max_concurrency):  # changed by the admin API
            self._slots_size = max(1, self.config.max_concurrency)
            self._slots = asyncio.Semaphore(self._slots_size)
        async with self._slots:
            if job.cancelled:
                self._finish(job, Outcome(400, {"detail": "Request was cancelled"}, error="Request was cancelled",
                                          error_type="request_cancelled"), notify=False)
                return
            job.status, job.started_at = RUNNING, time.time()
            job.log(f"Running {job.app_id}")
            await self._wait(job, self.config.processing_delay)
            job.log("Generating output")
            outcome = await asyncio.to_thread(self._outcome, job)  # drawing and downloads stay off the loop
        self._finish(job, outcome, notify=True)

    def _outcome(self, job: Job) -> Outcome:
        if job.force == "fail":
            return simulated_failure(job.app_id, "failed by the admin API")
        config = self.config
        if job.force == "ok":
            config = config.copy()
            config.failure_rate, config.fail_marker = 0.0, ""
        try:
            return self.apps[job.app_id].run(job.request_id, job.arguments, config, self.files, self._rng)
        except Exception as exc:  # a bug in an app must still end the job the way FAL would
            return simulated_failure(job.app_id, f"{type(exc).__name__}: {exc}")

    def _finish(self, job: Job, outcome: Outcome, *, notify: bool) -> None:
        job.outcome, job.status, job.finished_at = outcome, COMPLETED, time.time()
        job.done.set()
        job.log("Request completed" if outcome.ok else f"Request failed: {outcome.error}",
                "INFO" if outcome.ok else "ERROR")
        if notify and job.webhook_url:
            self._notify(job)

    def _notify(self, job: Job) -> None:
        outcome = job.outcome
        assert outcome is not None and job.webhook_url
        body = webhook_body(job.request_id, ok=outcome.ok, payload=outcome.body, error=outcome.error,
                            payload_error=outcome.payload_error)
        self.deliverer.send(job.request_id, job.webhook_url, body)
