"""Benchmark: `make test` against the suite before the core layer's rework (issue 10), run in turns.
Prints figures; not a test.

    .venv/bin/python -m bench.suite_bench [--baseline afac5a0] [--pairs 2] [--keep]

REF (default afac5a0, the last commit before issue 10's work: 457 tests, run serially) is checked out with
`git worktree` into a temporary folder, with a venv of its own (`make venv`
there, about a minute). Then, --pairs times, its `make test` and this checkout's, one after the other,
alternating which goes first: a shared machine's speed drifts by a third within an hour, so only runs next
to each other compare. For each run: wall time, the CPU of everything `make` waited for (services that
daemonize are not counted), and pytest's summary. Each suite's own Makefile decides its options; the
environment is passed to both as it is. Target (issue 10): this checkout's `make test` at least 2x faster.
The worktree, its venv and its local services are removed at the end unless --keep.

Measured on 7 Dec 2026 (2 cores, --pairs 1): afac5a0 196.9 s wall, 125.7 s CPU, 457 passed; main 138.1 s,
214.4 s CPU, 892 passed: 1.43x, short of 2x. The run is bound by CPU (vmstat: 8 % idle on average,
both cores busy from collection to the last test). Where main's CPU goes, sampled from /proc for every
process of one `make test`: function workers 67.5 s over 221 worker processes (fal_process_generation
10.7, bot_start 7.9, tg_dispatch 6.4, fal_webhook_status 5.6, tg_webhook 5.2: most of it their imports
and the real work of the end-to-end tests), the four pytest workers 58 s (2.5 s of it each one's
collection), the runners' fronts about 25 s, cfn-lint 9.3 s, Chromium and its driver 9 s, promtool 7 s,
the S3 stand-in 5 s, PostgreSQL and Redis 8 s. 2x would need about a quarter of that gone.
Again at stop 27 (same day, --pairs 1): afac5a0 196.5 s wall, 121.6 s CPU, 457 passed; main 136.4 s, 179.2 s
CPU, 897 passed: 1.44x. The CPU make waited for fell by a sixth (the day-long alert tests on a coarser
interval, no connection-check round trip per transaction, the rows without pydantic in four functions) but
the wall time did not follow: each of the four workers now ends within 4 s of the others (114-118 s after
the first test, measured with a per-test timeline), the Aisha stack's group alone 90 s of it and the chaos
group 73 s, and neither can be split without a second stack of its own. 3 workers took 148 s, 6 took 137 s.
At stop 28 (same day, --pairs 1): afac5a0 205.8 s wall, 135.2 s CPU, 457 passed; main 138.1 s, 197.7 s CPU,
905 passed: 1.49x. Sampled from /proc for one run, 219 s of CPU in all (make's count misses what daemonizes):
the function workers 64 s over 214 processes, the four pytest workers 59 s, the runner fronts 24 s, cfn-lint
10 s (now less: one of its templates is one function), Chromium 9 s, the S3 stand-in 5 s, PostgreSQL and
Redis 8 s. The chaos group alone: 75 s of wall time for 45 s of CPU, 29 s of it 63 function workers'
starts. On two cores 98 s (2x) needs the CPU under about 175 s with nothing idle.
At stop 29 (same day, --pairs 1): afac5a0 209.7 s wall, 142.1 s CPU, 457 passed; main 141.5 s, 187.0 s CPU,
907 passed: 1.48x. A per-test CPU timeline of one run: the four workers ended within 6 s of each other and
each one's own CPU was 12-16 s, 45 s of it inside tests and spread thin (no file over 5 s); of what the
tests start, the chaos group took 46 s and the Aisha stack's start 37 s, cfn-lint 8.5 s (6.4 s of it
the translated template, whose 630 `Fn::If` cfn-lint resolves with sympy), the Lambda-view imports 11 s
(17 interpreters, one per function). The same suite on an optimized interpreter (bench/runner_bench.py,
the interpreter) took 122-133 s against 135-138 s.
At stop 30 (same day, --pairs 1, twice): afac5a0 200.7 and 194.4 s wall (130.5 and 122.7 s CPU), 457 passed;
main 126.9 and 121.2 s (186.7 and 172.1 s CPU), 909-910 passed: 1.58x and 1.60x. What changed: the Aisha
stack's group had started the stack twice (a conftest under tests/e2e/ops imported its session fixture, a
second definition of it: two runners, the stand-ins and ~20 workers more, about 9 s of CPU). Serially, with
every process sampled: the chaos group 44 s of CPU (62 worker starts: the scenarios kill workers and a runner,
and the duplicates scale up), the Aisha stack's start and album test 31 s, the chat page in Chromium 16 s,
the Lambda view 9 s, cfn-lint 8 s. vmstat over a parallel run: 12 % idle on average, almost all of it after
the first 45 s, while all four workers wait (faults, alert windows, retries); five workers then took 110-127
s against four's 119-134 s, too close to the spread to change the default.
At stop 31 (evening of 7 Dec 2026, --pairs 1, twice): afac5a0 264.3 and 329.3 s wall (208.4 and 246.2 s CPU);
main 273.2 and 266.9 s (430.5 and 406.6 s CPU), 910 passed: 0.97x and 1.23x. The machine did the same work
with about twice the CPU of the afternoon (both suites; kdamond alone took 48 s of CPU during one run), and
main, bound by CPU on both cores (vmstat: 0-2 % idle from its start to its last minute), slows with it, while
the serial baseline idles half of its time on waits that do not lengthen. Per-test CPU of the four xdist
workers in one run: 5.2-5.6 s each to collect (1,774 modules), 19-24 s each inside tests, none of it one
large item (the moto deployment 6.9 s, the edge fuzz 5.7 s, the chaos scenarios' own side 7.1 s).
At stop 32 (night of 8 Dec 2026, --pairs 1; nginx's own 404 ran at 35,000/s, against 48,000/s at stop 30):
afac5a0 286.9 s wall (228.3 s CPU), 457 passed; main 235.3 s (376.5 s CPU), 915 passed: 1.22x. What changed
for the suite: the functions import inside aisha.init_phase (the cyclic GC paused, what the init made frozen:
a processor's import 10-25 % less CPU, bench/cold_start.py), and each xdist worker collects with the GC paused
and freezes what collection made (3.4-3.9 -> 3.2-3.5 s of CPU each). Sampled from /proc for one run: the four
xdist workers 95 s, the function workers 105 s over 222 processes, the runner fronts about 35 s, Chromium 14 s,
the Lambda view's 17 interpreters 10 s, pip installing wheels for the packaging and runtime tests 11 s.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Run:
    suite: str
    wall: float
    cpu: float
    summary: str
    status: int


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make_test(suite: str, folder: Path, log: Path) -> Run:
    cpu, started = _children_cpu(), time.monotonic()
    with log.open("w") as out:
        status = subprocess.run(["make", "test"], cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL).returncode
    wall, used = time.monotonic() - started, _children_cpu() - cpu
    found = re.findall(r"(\d+ (?:passed|failed)[^=\n]*) in [\d.]+s", log.read_text(errors="replace"))
    return Run(suite, wall, used, found[-1].strip() if found else "no pytest summary", status)


def prepare_baseline(ref: str, parent: Path) -> Path:
    folder = parent / "main"  # the suite may look for ../shared, as this checkout does
    subprocess.run(["git", "worktree", "add", "--detach", "--force", str(folder), ref], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (parent / "shared").symlink_to(shared)
    print(f"baseline {ref}: building its venv ...", flush=True)
    built = subprocess.run(["make", "venv"], cwd=folder, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if built.returncode != 0:
        raise SystemExit(f"baseline {ref}: make venv failed:\n{(built.stdout + built.stderr)[-3000:]}")
    return folder


def remove_baseline(folder: Path) -> None:
    subprocess.run(["make", "stop"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, stdout=subprocess.DEVNULL)
    shutil.rmtree(folder.parent, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="afac5a0", help="the commit to compare with")
    parser.add_argument("--pairs", type=int, default=2, help="how many runs of each, in turns")
    parser.add_argument("--keep", action="store_true", help="keep the baseline's worktree and venv")
    args = parser.parse_args()
    parent = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    logs = Path(tempfile.mkdtemp(prefix="suite-bench-logs-"))
    baseline = prepare_baseline(args.baseline, parent)
    runs: list[Run] = []
    try:
        for pair in range(args.pairs):
            order = [("baseline", baseline), ("main", ROOT)]
            for suite, folder in order if pair % 2 == 0 else reversed(order):
                run = make_test(suite, folder, logs / f"{pair}-{suite}.log")
                runs.append(run)
                print(f"pair {pair + 1}  {suite:8s}  {run.wall:6.1f} s wall  {run.cpu:6.1f} s CPU  "
                      f"exit {run.status}  {run.summary}", flush=True)
    finally:
        if not args.keep:
            remove_baseline(baseline)
    print(f"logs: {logs}")
    ratios = []
    for pair in range(len(runs) // 2):
        two = {run.suite: run for run in runs[2 * pair:2 * pair + 2]}
        ratios.append(two["baseline"].wall / two["main"].wall)
        print(f"pair {pair + 1}: main is {ratios[-1]:.2f}x the baseline's speed (target >= 2x)")
    if len(ratios) > 1:
        print(f"median of the pairs: {statistics.median(ratios):.2f}x")
    return 0 if all(r.status == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
