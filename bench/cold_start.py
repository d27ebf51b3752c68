"""Benchmark: what each function loads at start, against the code before the lazy core layer, in one run.

    .venv/bin/python -m bench.cold_start [--baseline REF] [--repeat 3] [--function NAME ...]

Two trees are built with `local_runner build` in a temp dir: this checkout, and REF (default: the
merge-base with `main`, exported with `git archive`). Then, function by function, --repeat turns that
alternate which tree goes first, and for every function of chalice.json it prints:
- modules: how many modules `import app` adds, in a clean interpreter (`-I -S`) whose sys.path is only
  the function dir and its layers, as the runner's worker has;
- import ms and collect ms: in that interpreter, the CPU time of `import app` and of one full collection
  (`gc.collect()`) right after it, which every full collection of a warm worker pays again; medians;
- init ms: the Init Duration the runner reports for a cold start (the pure invoke path,
  local_runner.runner.Runner, a fresh worker each time), median and fastest. Both trees are built by this
  checkout's builder, so both carry the bytecode it ships (unchecked-hash .pyc for the runtime's Python).
Targets (issue 10): tg_webhook and the FAL webhooks <= 300 modules and <= 150 ms on a quiet machine.
Loopback only; everything it starts is stopped at the end. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path

from local_runner.build import Builder
from local_runner.config import RunnerConfig
from local_runner.manifest import Manifest, load_manifest
from local_runner.runner import Runner
from local_runner.runtime import ensure_runtime

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("tg_webhook", "fal_webhook_status", "fal_webhook_portrait")
_INIT = re.compile(r"Init Duration: ([0-9.]+) ms")
_IMPORT = ("import gc, sys, time\nbefore, started = len(sys.modules), time.process_time()\nimport app\n"
           "imported = time.process_time()\ngc.collect()\n"
           "print(len(sys.modules) - before, (imported - started) * 1e3, (time.process_time() - imported) * 1e3)\n")


def export(ref: str, into: Path) -> Path:
    """The tree of `ref` (functions, layers, manifest and the runner), without a git worktree."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref, "chalice.json", "functions", "layers"],
                             cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def current(into: Path) -> Path:
    into.mkdir(parents=True)
    shutil.copy2(ROOT / "chalice.json", into / "chalice.json")
    for part in ("functions", "layers"):
        shutil.copytree(ROOT / part, into / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return into


def reuse_deps(tree: Path) -> None:
    """Start from this checkout's built deps layer, its bytecode included, and runtime when the requirements
    are the same (the builder's stamp decides), to spare two pip installs."""
    src = ROOT / "build"
    same = (tree / "layers/deps/requirements.txt").read_bytes() == (ROOT / "layers/deps/requirements.txt").read_bytes()
    if not same or not (src / ".stamps" / "layer-deps").is_file():
        return
    (tree / "build" / ".stamps").mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / ".stamps" / "layer-deps", tree / "build" / ".stamps" / "layer-deps")
    shutil.copytree(src / "layers" / "deps", tree / "build" / "layers" / "deps", symlinks=True)
    if (src / "runtime").is_dir():
        shutil.copytree(src / "runtime", tree / "build" / "runtime", symlinks=True)


def build(tree: Path) -> tuple[Builder, list[str]]:
    manifest = load_manifest(tree / "chalice.json", "dev")
    reuse_deps(tree)
    builder = Builder(manifest, tree / "build", zips=False)
    ensure_runtime(tree / "build")
    builder.build_all()
    return builder, list(manifest.functions)


def worker_path(builder: Builder, name: str) -> list[str]:
    fn = builder.manifest.functions[name]
    return [str(builder.function_dir(name)), *(str(p) for p in builder.layer_paths(fn))]


def import_figures(builder: Builder, name: str) -> tuple[int, float, float]:
    """(modules added, CPU ms of `import app`, CPU ms of one full collection right after it)."""
    path = worker_path(builder, name)
    code = f"import sys\nsys.path[:0] = {path!r}\n" + _IMPORT
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=path[0], check=True,
                         capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")})
    modules, imported, collected = out.stdout.split()[-3:]
    return int(modules), float(imported), float(collected)


def on_demand(manifest: Manifest) -> Manifest:
    """The manifest without provisioned concurrency: a provisioned worker is initialised at start, so
    the invocation timed here would find it warm and report no Init Duration."""
    functions = {name: replace(fn, provisioned_concurrency=0) for name, fn in manifest.functions.items()}
    return replace(manifest, functions=functions)


async def init_ms(tree: Path, name: str) -> float | None:
    """The Init Duration of one cold start through the runner (a fresh worker)."""
    config = RunnerConfig.from_env({}, manifest=tree / "chalice.json", build_dir=tree / "build")
    runner = Runner(on_demand(load_manifest(tree / "chalice.json", "dev")), config)
    await runner.start()
    try:
        result = await runner.invoke(name, b"{}")
    finally:
        await runner.stop(drain_timeout=1.0)
    found = _INIT.search(result.log_tail)
    return float(found.group(1)) if found else None


@dataclass
class Figures:
    modules: int = 0
    import_ms: list[float] = field(default_factory=list)
    collect_ms: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)

    def add(self, builder: Builder, tree: Path, name: str) -> None:
        self.modules, imported, collected = import_figures(builder, name)
        self.import_ms.append(imported)
        self.collect_ms.append(collected)
        init = asyncio.run(init_ms(tree, name))
        if init is not None:
            self.init_ms.append(init)


def measure(trees: dict[str, Path], repeat: int, only: list[str]) -> dict[str, dict[str, Figures]]:
    """Each function's figures in both trees, taken in turns (a shared machine's speed drifts)."""
    built = {side: build(tree) for side, tree in trees.items()}
    names = [name for name in built["after"][1] if not only or name in only]
    figures: dict[str, dict[str, Figures]] = {name: {side: Figures() for side in trees} for name in names}
    for name in names:
        for turn in range(repeat):
            sides = [side for side in trees if name in built[side][1]]
            for side in sides if turn % 2 == 0 else reversed(sides):
                figures[name][side].add(built[side][0], trees[side], name)
    return figures


def merge_base() -> str:
    out = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "HEAD"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=None, help="git ref of the code before (default: merge-base with main)")
    parser.add_argument("--repeat", type=int, default=3, help="cold starts per function (median)")
    parser.add_argument("--function", action="append", default=[], help="only this function (repeatable)")
    args = parser.parse_args(argv)
    ref = args.baseline or merge_base()
    with tempfile.TemporaryDirectory(prefix="aisha-cold-") as tmp:
        figures = measure({"before": export(ref, Path(tmp) / "before"), "after": current(Path(tmp) / "after")},
                          args.repeat, args.function)
    print(f"baseline: {ref[:12]}   now: this checkout   medians of {args.repeat} in turns; init ms = median / "
          "fastest cold start through the runner; import and collect = CPU ms of `import app` and of one full "
          "collection after it, in a clean interpreter")
    print(f"{'function':24} {'modules':>11} {'import ms':>12} {'collect ms':>11} {'init ms':>27}  target")

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.0f}" if values else "-"

    def init(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} / {min(values):.0f}" if values else "-"

    def pair(before: str, after: str, width: int) -> str:
        return f"{before + ' -> ' + after:>{width}}"

    for name, sides in figures.items():
        b, a = sides["before"], sides["after"]
        target = ""
        if name in TARGETS:
            modules_ok, init_ok = a.modules <= 300, bool(a.init_ms) and min(a.init_ms) <= 150
            target = (f"modules <= 300 {'met' if modules_ok else 'NOT met'}, "
                      f"init <= 150 ms {'met' if init_ok else 'NOT met'}")
        print(f"{name:24} {pair(str(b.modules), str(a.modules), 11)} {pair(med(b.import_ms), med(a.import_ms), 12)} "
              f"{pair(med(b.collect_ms), med(a.collect_ms), 11)} {pair(init(b.init_ms), init(a.init_ms), 27)}  "
              f"{target}")
    print(json.dumps({name: {side: vars(f) for side, f in sides.items()} for name, sides in figures.items()}),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
