"""A small asyncio load generator: closed loop (N callers back to back) or open loop (a fixed rate); and
`wrk` when it is installed (apt-get install wrk), for throughput the Python client itself would cap.

Bounded: every run stops after its duration, and each request after its timeout. Loopback targets only.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

REPLAY = Path(__file__).with_name("replay.lua")


@dataclass
class Result:
    label: str
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    fixed: dict[float, float] = field(default_factory=dict)  # percentiles reported by an external tool
    statuses: dict[int, int] = field(default_factory=dict)  # answers by HTTP status (wrk with replay.lua)
    repeated: int = 0  # wrk with replay.lua: times a thread ran out of prepared requests and started again
    late: int = 0  # wrk open loop: requests that left over a millisecond after their time (all connections busy)
    worst_late_ms: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)  # wrk: non-2xx answers and socket errors by kind

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if q in self.fixed:
            return self.fixed[q]
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q / 100 * len(data)))]

    def line(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.error_kinds.items())
        return (f"{self.label:38} {self.rps:9.0f} req/s   p50 {self.pct(50):7.2f} ms   p99 {self.pct(99):7.2f} ms   "
                f"ok {self.ok}/{self.sent}" + (f"   errors {self.errors}" if self.errors else "")
                + (f" ({kinds})" if kinds else ""))


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the benchmark only drives loopback targets, not {host}")


async def _one(session: aiohttp.ClientSession, method: str, url: str, body: bytes | None,
               result: Result) -> None:
    started = time.perf_counter()
    result.sent += 1
    try:
        async with session.request(method, url, data=body) as resp:
            await resp.read()
            if resp.status == 200:
                result.ok += 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.errors += 1
    except (aiohttp.ClientError, TimeoutError):
        result.errors += 1


def _session(concurrency: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency, force_close=False),
                                 timeout=aiohttp.ClientTimeout(total=35))


async def closed_loop(label: str, url: str, *, concurrency: int, seconds: float, method: str = "GET",
                      body: bytes | None = None) -> Result:
    """`concurrency` callers, each sending its next request when the last one answered."""
    _check_loopback(url)
    result = Result(label, 0, 0, 0, 0.0, [])
    async with _session(concurrency) as session:
        deadline = time.perf_counter() + seconds

        async def caller() -> None:
            while time.perf_counter() < deadline:
                await _one(session, method, url, body, result)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result


async def open_loop(label: str, url: str, *, rate: float, seconds: float, method: str = "GET",
                    body: bytes | None = None, max_in_flight: int = 256) -> Result:
    """Requests sent at a fixed rate whatever the answers' speed (latency without coordinated omission)."""
    _check_loopback(url)
    result = Result(label, 0, 0, 0, 0.0, [])
    async with _session(max_in_flight) as session:
        tasks: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_one(session, method, url, body, result)))
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class Prepared:
    """One request of a mixed load, and the status a correct answer has."""

    kind: str
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]
    expect: int


@dataclass
class Mixed:
    """A mixed open loop's answers: correct ones, wrong ones by kind and status, latencies by status."""

    sent: int = 0
    correct: int = 0
    wrong: dict[str, int] = field(default_factory=dict)  # "kind status" -> count ("kind error": no answer)
    latencies_ms: dict[int, list[float]] = field(default_factory=dict)  # status -> latencies (0: no answer)
    wrong_at: list[float] = field(default_factory=list)  # when each wrong one was sent, seconds into the run

    def pct(self, q: float, statuses: tuple[int, ...] | None = None) -> float:
        data = sorted(v for code, values in self.latencies_ms.items() if statuses is None or code in statuses
                      for v in values)
        return data[min(len(data) - 1, int(q / 100 * len(data)))] if data else float("nan")


async def open_loop_mixed(make: Callable[[int], Prepared], *, rate: float, seconds: float,
                          max_in_flight: int = 512) -> Mixed:
    """`make(i)` sent at a fixed rate (latency without coordinated omission)."""
    mixed = Mixed()
    async with _session(max_in_flight) as session:

        async def one(request: Prepared) -> None:
            _check_loopback(request.url)
            mixed.sent += 1
            started = time.perf_counter()
            status = 0
            try:
                async with session.request(request.method, request.url, data=request.body,
                                           headers=request.headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                pass
            mixed.latencies_ms.setdefault(status, []).append((time.perf_counter() - started) * 1000)
            if status == request.expect:
                mixed.correct += 1
            else:
                key = f"{request.kind} {status or 'error'}"
                mixed.wrong[key] = mixed.wrong.get(key, 0) + 1
                mixed.wrong_at.append(started - begun)

        tasks: set[asyncio.Task[None]] = set()
        begun = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = begun + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(make(i)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return mixed


async def sequential_ms(url: str, count: int, method: str = "GET", body: bytes | None = None) -> float:
    """Median latency of `count` requests one after the other (per-request overhead, no queueing)."""
    _check_loopback(url)
    result = Result("seq", 0, 0, 0, 0.0, [])
    async with _session(1) as session:
        for _ in range(count):
            await _one(session, method, url, body, result)
    if result.errors:
        raise RuntimeError(f"{result.errors} of {count} requests to {url} failed")
    return statistics.median(result.latencies_ms)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk(label: str, url: str, *, concurrency: int, seconds: float, threads: int = 2,
        requests: Path | None = None, rate: float | None = None) -> Result:
    """`wrk` (a C load generator: it leaves the CPU to the servers measured), summarised as a Result.

    Its latency distribution gives p50/p99 (wrk --latency); non-2xx/3xx answers count as errors. With
    `requests` (a file in replay.lua's format) it sends those prepared requests in turn instead of GET `url`
    (whose path it then ignores), and the Result counts the answers by status. With `rate` as well it sends
    them open loop at that rate (replay.lua's WRK_RATE): give it far more connections than rate x latency,
    and `Result.late` counts the requests that found them all busy and left late."""
    _check_loopback(url)
    argv = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "35s"]
    env = None
    if requests is not None:
        argv += ["-s", str(REPLAY)]
        env = {**os.environ, "WRK_REQUESTS": str(requests), "WRK_THREADS": str(threads),
               **({"WRK_RATE": f"{rate:g}"} if rate else {})}
    elif rate:
        raise ValueError("an open-loop rate needs prepared requests")
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 120, env=env)
    out = done.stdout
    total = int(m.group(1)) if (m := re.search(r"(\d+) requests in", out)) else 0
    bad = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sockets = {kind: int(n) for kind, n in re.findall(r"(connect|read|write|timeout) (\d+)", out) if int(n)}
    kinds = {**({"non-2xx": bad} if bad else {}), **sockets}
    elapsed = float(m.group(1)) if (m := re.search(r"requests in ([\d.]+)s", out)) else seconds
    lat = {q: _ms(v, unit) for q, v, unit in re.findall(r"\s(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)}
    result = Result(label, total, total - bad, sum(kinds.values()), elapsed, [], error_kinds=kinds)
    result.fixed = {50.0: lat.get("50", float("nan")), 99.0: lat.get("99", float("nan"))}
    result.statuses = {int(code): int(count) for code, count in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    result.repeated = int(m.group(1)) if (m := re.search(r"^wrapped (\d+)$", out, re.M)) else 0
    if m := re.search(r"^late (\d+) ([\d.]+)$", out, re.M):
        result.late, result.worst_late_ms = int(m.group(1)), float(m.group(2))
    return result


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
