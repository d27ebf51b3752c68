"""Benchmark: the CPU a webhook spends handing its delivery to the processor (an `Event` invoke), against
boto3's Lambda client doing the same call, in one run. Prints figures; not a test.

    .venv/bin/python -m bench.handoff_bench [--calls 300]

Both clients call the runner's real Invoke API (its HTTP front, in a thread of this process) with
`X-Amz-Invocation-Type: Event` and the same payload; the queue behind it records what it is given, so
only the hand-off is measured. The figure is the calling thread's CPU per call (`time.thread_time`), the
part a webhook's worker pays: signing, the request, reading the 202. Wall time per call is printed beside
it. Target (issue 9, item 6): at most 0.5 ms of the webhook's CPU per hand-off.
Loopback only; everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from infra.devservices.procs import free_port
from local_runner.config import RunnerConfig
from local_runner.http_front import Front
from local_runner.http_server import HttpServer
from local_runner.manifest import load_manifest
from local_runner.runner import Runner

LAYER = Path(__file__).resolve().parents[1] / "layers" / "core" / "python"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_REGION": "us-east-1"}
PAYLOAD = {"event_id": 4711}


class RecordingQueue:
    """An EventSink that keeps what it is given: the durable queue is not what is measured here."""

    def __init__(self) -> None:
        self.count = 0

    async def enqueue(self, function_name: str, payload: bytes, request_id: str) -> None:
        self.count += 1


def serve(home: Path, queue: RecordingQueue, port: int, ready: threading.Event, stop: threading.Event) -> None:
    async def main() -> None:
        (home / "functions" / "processor").mkdir(parents=True)
        (home / "functions" / "processor" / "app.py").write_text("def handler(event, context):\n    return None\n")
        manifest_path = home / "chalice.json"
        manifest_path.write_text(json.dumps({"version": "2.0", "app_name": "handoff-bench", "functions": {
            "processor": {"source": "functions/processor", "handler": "app.handler"}}}))
        runner = Runner(load_manifest(manifest_path, environ={}),
                        RunnerConfig(manifest=manifest_path, build_dir=home / "build"))
        await runner.start()
        http = HttpServer(Front(runner, events=queue).serve, max_body=runner.config.max_body_bytes)
        await http.start(socket.create_server(("127.0.0.1", port)), backlog=128)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await http.close()
        await runner.stop(drain_timeout=1)

    asyncio.run(main())


def measure(call: Callable[[], None], calls: int) -> tuple[float, float]:
    """(median CPU ms, median wall ms) per call of the calling thread, after a warm-up."""
    for _ in range(20):
        call()
    cpu, wall = [], []
    for _ in range(calls):
        c0, w0 = time.thread_time(), time.perf_counter()
        call()
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    queue, ready, stop = RecordingQueue(), threading.Event(), threading.Event()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="aisha-handoff-") as tmp:
        server = threading.Thread(target=serve, args=(Path(tmp), queue, port, ready, stop), daemon=True)
        server.start()
        if not ready.wait(30):
            raise SystemExit("the runner's front did not start")
        try:
            sys.path.insert(0, str(LAYER))  # the core layer, as the functions have it
            from aisha.config import Settings
            from aisha.invoke import FunctionInvoker

            settings = Settings(lambda_endpoint_url=endpoint, s3_region="us-east-1",  # never connected to
                                database_url="postgresql://unused/db", redis_url="redis://unused:6379/0")
            ours = FunctionInvoker(settings, environ=CREDENTIALS)

            import boto3  # the baseline: what the webhook used before (4.3 ms CPU per hand-off then)

            client = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                                  aws_access_key_id="bench", aws_secret_access_key="bench-secret")
            body = json.dumps(PAYLOAD).encode()
            figures = {
                "aisha.invoke (http.client + SigV4)": measure(lambda: ours.invoke_event("processor", PAYLOAD),
                                                              args.calls),
                "baseline: boto3 lambda.invoke": measure(
                    lambda: client.invoke(FunctionName="processor", InvocationType="Event", Payload=body),
                    args.calls),
            }
        finally:
            stop.set()
            server.join(10)
    print(f"Event hand-off to the runner's Invoke API, median of {args.calls} calls "
          f"({queue.count} queued in all)")
    print(f"{'client':40} {'CPU ms/call':>12} {'wall ms/call':>13}")
    for name, (cpu, wall) in figures.items():
        print(f"{name:40} {cpu:>12.3f} {wall:>13.3f}")
    cpu = figures["aisha.invoke (http.client + SigV4)"][0]
    print(f"target: <= 0.5 ms CPU per hand-off: {'met' if cpu <= 0.5 else 'NOT met'} ({cpu:.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
