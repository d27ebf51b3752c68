"""A small asyncio load generator: closed loop (N callers back to back) or open loop (a fixed rate).

Bounded: every run stops after its duration, and each request after its timeout. Loopback targets only.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp


@dataclass
class Result:
    label: str
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q / 100 * len(data)))]

    def line(self) -> str:
        return (f"{self.label:38} {self.rps:9.0f} req/s   p50 {self.pct(50):7.2f} ms   p99 {self.pct(99):7.2f} ms   "
                f"ok {self.ok}/{self.sent}" + (f"   errors {self.errors}" if self.errors else ""))


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
