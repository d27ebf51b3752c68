"""Benchmark: a cold burst and a 2x overload through the runner's pure invoke path, each beside a baseline
measured in the same run. Prints figures; not a test.

    .venv/bin/python -m bench.burst_bench [--burst 32] [--init-cpu 0.3] [--overload-seconds 5]

Cold burst: `--burst` concurrent invocations into a cold function whose init burns `--init-cpu` seconds of
CPU (imports and clients, as a real function's). Bounded: the runner's defaults (inits in flight = cores).
Baseline: the old herd, every waiting invocation starting its own worker (init limits set very high).
Figures: errors, the peak of inits in flight, p50/p99 latency, time to drain, workers spawned.

2x overload: a warm function with reserved concurrency 4 whose handler waits 100 ms (capacity about
40/s, bound by its concurrency, not by the host's CPU) driven open loop at twice its measured capacity.
Bounded: a queue of 8 callers, refused at once past it.
Baseline: an unbounded queue in which callers wait up to throttle_wait (1 s) before 429.
Figures: goodput against capacity, refusal latency p50/p99, p99 of the answered calls.
Loopback and in-process only; everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from local_runner.config import RunnerConfig
from local_runner.errors import Throttled
from local_runner.manifest import load_manifest
from local_runner.runner import Runner

COLD = '''import os
import time

_end = time.process_time() + float(os.environ["INIT_CPU"])
while time.process_time() < _end:  # an init that costs CPU, as imports and client set-up do
    pass


def handler(event, context):
    return {"pid": os.getpid()}
'''
STEADY = '''import time


def handler(event, context):
    time.sleep(0.1)
    return {"ok": True}
'''


def make_collection(home: Path, init_cpu: float) -> Path:
    for name, code in (("cold", COLD), ("steady", STEADY)):
        (home / "functions" / name).mkdir(parents=True)
        (home / "functions" / name / "app.py").write_text(code)
    manifest = {"version": "2.0", "app_name": "burst-bench", "functions": {
        "cold": {"source": "functions/cold", "handler": "app.handler", "lambda_timeout": 30,
                 "environment_variables": {"INIT_CPU": str(init_cpu)}},
        "steady": {"source": "functions/steady", "handler": "app.handler", "reserved_concurrency": 4}}}
    path = home / "chalice.json"
    path.write_text(json.dumps(manifest))
    return path


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    data = sorted(values)
    return data[min(len(data) - 1, int(q / 100 * len(data)))]


async def with_runner(manifest: Path, build: Path, **config: Any) -> Runner:
    runner = Runner(load_manifest(manifest, environ={}), RunnerConfig(manifest=manifest, build_dir=build, **config))
    await runner.start()
    return runner


async def cold_burst(manifest: Path, build: Path, burst: int, **config: Any) -> dict[str, float]:
    runner = await with_runner(manifest, build, **config)
    try:
        peak = 0

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, runner.budget.inits)
                await asyncio.sleep(0.002)

        async def one() -> tuple[bool, float]:
            started = time.perf_counter()
            try:
                result = await runner.invoke("cold", b"{}")
                ok = result.function_error is None
            except Exception:
                ok = False
            return ok, (time.perf_counter() - started) * 1000

        sampler = asyncio.ensure_future(sample())
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one() for _ in range(burst)))
        drain = time.perf_counter() - started
        sampler.cancel()
        latencies = [ms for _ok, ms in outcomes]
        return {"errors": sum(1 for ok, _ms in outcomes if not ok), "peak_inits": peak, "p50": pct(latencies, 50),
                "p99": pct(latencies, 99), "drain_s": drain, "spawned": runner.pools["cold"].spawned}
    finally:
        await runner.stop(drain_timeout=5)


async def overload(manifest: Path, build: Path, seconds: float, **config: Any) -> dict[str, float]:
    runner = await with_runner(manifest, build, **config)
    try:
        await asyncio.gather(*(runner.invoke("steady", b"{}") for _ in range(4)))  # warm
        capacity = await _capacity(runner)
        rate = 2 * capacity
        ok_ms: list[float] = []
        refused_ms: list[float] = []

        async def one() -> None:
            started = time.perf_counter()
            try:
                result = await runner.invoke("steady", b"{}")
                if result.function_error is None:
                    ok_ms.append((time.perf_counter() - started) * 1000)
            except Throttled:
                refused_ms.append((time.perf_counter() - started) * 1000)

        tasks = []
        began = time.perf_counter()
        sent = 0
        while time.perf_counter() - began < seconds:
            due = began + sent / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.ensure_future(one()))
            sent += 1
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        return {"capacity": capacity, "rate": rate, "goodput": len(ok_ms) / elapsed, "refused": len(refused_ms),
                "refuse_p50": pct(refused_ms, 50), "refuse_p99": pct(refused_ms, 99), "ok_p99": pct(ok_ms, 99)}
    finally:
        await runner.stop(drain_timeout=5)


async def _capacity(runner: Runner, seconds: float = 2.0) -> float:
    """Closed loop with exactly the concurrency cap of callers: what the function sustains."""
    done = 0
    end = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < end:
            await runner.invoke("steady", b"{}")
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(4)))
    return done / (time.perf_counter() - began)


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="burst-bench-") as tmp:
        home = Path(tmp)
        manifest = make_collection(home, args.init_cpu)
        build = home / "build"
        herd = {"max_inits": 1000, "max_inits_per_function": 1000, "init_timeout": 30.0}
        print(f"cold burst: {args.burst} concurrent into a cold function, init {args.init_cpu:.2f} s of CPU")
        for label, config in (("bounded (defaults)", {"init_timeout": 30.0}), ("baseline: herd", herd)):
            r = await cold_burst(manifest, build, args.burst, **config)
            print(f"  {label:22} errors {r['errors']:3.0f}   inits in flight peak {r['peak_inits']:3.0f}   "
                  f"p50 {r['p50']:7.0f} ms   p99 {r['p99']:7.0f} ms   drained in {r['drain_s']:5.2f} s   "
                  f"workers spawned {r['spawned']:3.0f}")
        print(f"2x overload: reserved concurrency 4, 100 ms handler, {args.overload_seconds:.0f} s open loop")
        for label, config in (("bounded queue (8)", {"max_queue_per_function": 8}),
                              ("baseline: wait 1 s", {"max_queue_per_function": 100000, "throttle_wait": 1.0})):
            r = await overload(manifest, build, args.overload_seconds, **config)
            print(f"  {label:22} capacity {r['capacity']:5.0f}/s   offered {r['rate']:5.0f}/s   goodput "
                  f"{r['goodput']:5.0f}/s ({100 * r['goodput'] / r['capacity']:3.0f} %)   refused {r['refused']:5.0f}"
                  f"   refusal p50 {r['refuse_p50']:7.2f} ms p99 {r['refuse_p99']:7.2f} ms   answered p99 "
                  f"{r['ok_p99']:6.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--burst", type=int, default=32)
    parser.add_argument("--init-cpu", type=float, default=0.3)
    parser.add_argument("--overload-seconds", type=float, default=5.0)
    asyncio.run(main_async(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
