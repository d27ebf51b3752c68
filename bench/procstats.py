"""What a running stack holds, sampled for the load benchmarks: memory of every process by role, workers,
PostgreSQL connections, and each runner's worker budget (used beside its limit) and workers spawned; and the
CPU each role has used (`cpu_by_role`, workers by function), to split a load phase's CPU per request.

Memory is PSS (/proc/<pid>/smaps_rollup): a page shared by N processes counts 1/N to each, so PostgreSQL's
shared buffers and the workers' shared libraries are not counted once per process. PostgreSQL and Redis are
found by process name: on a machine running other servers of theirs, those count too.
"""

from __future__ import annotations

import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from bench.servers import cpu_seconds
from infra.stack import Stack

PROC = Path("/proc")


def _ppids() -> dict[int, int]:
    """pid -> parent pid of every process."""
    out = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            out[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return out


def descendants(pid: int, ppids: dict[int, int]) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in ppids.items():
        children[parent].append(child)
    found, todo = [], list(children[pid])
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children[child])
    return found


def pss_mb(pid: int) -> float:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _named(name: str) -> list[int]:
    pids = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class Sample:
    memory_mb: dict[str, float]  # by role: runner fronts, workers, nginx, postgres, redis
    workers: int
    pg_connections: int  # client backends of the whole server
    budget: dict[str, tuple[float, float]] = field(default_factory=dict)  # resource -> (used, limit), all runners
    spawned: int = 0  # worker inits on all runners since they started (provisioned ones included)

    @property
    def total_mb(self) -> float:
        return sum(self.memory_mb.values())


def _runner_metrics(url: str) -> tuple[dict[str, tuple[float, float]], int]:
    with urllib.request.urlopen(f"{url}/_runner/metrics", timeout=5) as answer:
        text = answer.read().decode()
    used: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    spawned = 0.0
    for family in text_string_to_metric_families(text):
        for metric in family.samples:
            if metric.name == "runner_budget_used":
                used[metric.labels["resource"]][0 if metric.labels["kind"] == "used" else 1] += metric.value
            elif metric.name == "runner_init_duration_seconds_count":
                spawned += metric.value
    return {name: (pair[0], pair[1]) for name, pair in used.items()}, int(spawned)


def _pids(stack: Stack) -> dict[str, list[int]]:
    """The stack's processes by role: runner fronts, workers (the fronts' descendants), nginx, postgres, redis."""
    ppids = _ppids()
    fronts = [r.proc.pid for r in stack.runners if r.proc is not None and r.proc.poll() is None]
    nginx = [stack.nginx.proc.pid] if stack.nginx is not None and stack.nginx.proc is not None else []
    return {"runner fronts": fronts, "workers": [w for front in fronts for w in descendants(front, ppids)],
            "nginx": nginx + [p for pid in nginx for p in descendants(pid, ppids)],
            "postgres": _named("postgres"), "redis": _named("redis-server")}


def sample(stack: Stack, database_url: str) -> Sample:
    pids = _pids(stack)
    memory = {role: sum(map(pss_mb, of_role)) for role, of_role in pids.items()}
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'").fetchone()
    budget: dict[str, tuple[float, float]] = defaultdict(lambda: (0.0, 0.0))
    spawned = 0
    for runner in stack.runners:
        used, started = _runner_metrics(runner.url)
        spawned += started
        for name, (value, limit) in used.items():
            budget[name] = (budget[name][0] + value, budget[name][1] + limit)
    return Sample(memory, len(pids["workers"]), int(row[0]) - 1 if row else 0, dict(budget), spawned)  # -1: this query


def _cpu_seconds(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # it ended meanwhile
        return 0.0


def function_of(pid: int) -> str | None:
    """The Lambda function a worker process runs (AWS_LAMBDA_FUNCTION_NAME in its environment)."""
    try:
        environ = (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    names = [v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"AWS_LAMBDA_FUNCTION_NAME=")]
    return names[0] if names else None


def cpu_by_role(stack: Stack) -> Counter[str]:
    """CPU seconds used so far by the runner fronts, each function's workers ("worker fal_webhook_status"),
    nginx, PostgreSQL and Redis. A difference of two readings is a phase's CPU; a process that ended between
    them takes its CPU with it (a worker killed meanwhile is not counted)."""
    out: Counter[str] = Counter()
    for role, of_role in _pids(stack).items():
        for pid in of_role:
            out[f"worker {function_of(pid) or '?'}" if role == "workers" else role] += _cpu_seconds(pid)
    return out


def cpu_line(before: Counter[str], after: Counter[str], requests: int) -> str:
    """The CPU of a phase per request, by role, largest first."""
    used = {role: after[role] - before.get(role, 0.0) for role in after}
    per = 1000 / max(1, requests)
    parts = ", ".join(f"{role} {v * per:.2f}" for role, v in sorted(used.items(), key=lambda kv: -kv[1]) if v > 0.005)
    return f"CPU per request {sum(v for v in used.values() if v > 0) * per:.2f} ms; by role, ms: {parts}"


def line(label: str, s: Sample) -> str:
    parts = ", ".join(f"{role} {mb:.0f}" for role, mb in s.memory_mb.items())
    budget = "; ".join(f"{name} {used:.0f}/{limit:.0f}" for name, (used, limit) in sorted(s.budget.items()))
    return (f"{label:<24} memory {s.total_mb:6.0f} MB ({parts}); workers {s.workers}; "
            f"PostgreSQL connections {s.pg_connections}; budget used/limit (both runners): {budget}; "
            f"workers spawned {s.spawned}")
