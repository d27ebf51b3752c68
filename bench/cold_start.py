"""Benchmark: what each function loads at start, against the code before the lazy core layer, in one run.

    .venv/bin/python -m bench.cold_start [--baseline REF] [--repeat 3] [--function NAME ...]

Two trees are built with `local_runner build` in a temp dir: this checkout, and REF (default: the
merge-base with `main`, exported with `git archive`). For every function of chalice.json it prints:
- modules: how many modules `import app` adds, in a clean interpreter (`-I -S`) whose sys.path is only
  the function dir and its layers, as the runner's worker has;
- init ms: the Init Duration the runner reports for a cold start (the pure invoke path,
  local_runner.runner.Runner, a fresh worker each time), median of --repeat. Bytecode is compiled once
  before timing, in both trees alike (the packaging change that ships it is separate).
The functions get no service settings, so their invocation fails after init: only the init is timed.
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
from dataclasses import replace
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
_COUNT = ("import sys\nbefore = len(sys.modules)\nimport app\nprint(len(sys.modules) - before)\n")


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
    """Start from this checkout's built deps layer and runtime when the requirements are the same
    (the builder's stamp decides), to spare two pip installs."""
    src = ROOT / "build"
    same = (tree / "layers/deps/requirements.txt").read_bytes() == (ROOT / "layers/deps/requirements.txt").read_bytes()
    if not same or not (src / ".stamps" / "layer-deps").is_file():
        return
    (tree / "build" / ".stamps").mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / ".stamps" / "layer-deps", tree / "build" / ".stamps" / "layer-deps")
    shutil.copytree(src / "layers" / "deps", tree / "build" / "layers" / "deps", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
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


def modules_at_import(builder: Builder, name: str) -> int:
    path = worker_path(builder, name)
    code = f"import sys\nsys.path[:0] = {path!r}\n" + _COUNT
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=path[0], check=True,
                         capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")})
    return int(out.stdout.strip().splitlines()[-1])


def compile_bytecode(builder: Builder) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(builder.root / "layers"),
                    str(builder.root / "functions")], check=False, capture_output=True)


def on_demand(manifest: Manifest) -> Manifest:
    """The manifest without provisioned concurrency: a provisioned worker is initialised at start, so
    the invocation timed here would find it warm and report no Init Duration."""
    functions = {name: replace(fn, provisioned_concurrency=0) for name, fn in manifest.functions.items()}
    return replace(manifest, functions=functions)


async def init_ms(tree: Path, name: str, repeat: int) -> tuple[float, float] | None:
    """(median, fastest) Init Duration of `repeat` cold starts; the fastest is the least disturbed by load."""
    figures: list[float] = []
    for _ in range(repeat):
        config = RunnerConfig.from_env({}, manifest=tree / "chalice.json", build_dir=tree / "build")
        runner = Runner(on_demand(load_manifest(tree / "chalice.json", "dev")), config)
        await runner.start()
        try:
            result = await runner.invoke(name, b"{}")
        finally:
            await runner.stop(drain_timeout=1.0)
        found = _INIT.search(result.log_tail)
        if found:
            figures.append(float(found.group(1)))
    return (statistics.median(figures), min(figures)) if figures else None


def measure(tree: Path, repeat: int, only: list[str]) -> dict[str, tuple[int, tuple[float, float] | None]]:
    builder, names = build(tree)
    names = [name for name in names if not only or name in only]
    compile_bytecode(builder)
    return {name: (modules_at_import(builder, name), asyncio.run(init_ms(tree, name, repeat))) for name in names}


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
        before = measure(export(ref, Path(tmp) / "before"), args.repeat, args.function)
        after = measure(current(Path(tmp) / "after"), args.repeat, args.function)
    print(f"baseline: {ref[:12]}   now: this checkout   init ms = median / fastest of {args.repeat} cold starts")
    print(f"{'function':24} {'modules before':>14} {'now':>6} {'init before':>13} {'now':>13}  target")

    def ms(value: tuple[float, float] | None) -> str:
        return f"{value[0]:.0f} / {value[1]:.0f}" if value is not None else "-"

    for name in after:
        (mb, ib), (ma, ia) = before.get(name, (0, None)), after[name]
        target = ""
        if name in TARGETS:
            modules_ok, init_ok = ma <= 300, ia is not None and ia[1] <= 150
            target = (f"modules <= 300 {'met' if modules_ok else 'NOT met'}, "
                      f"init <= 150 ms {'met' if init_ok else 'NOT met'}")
        print(f"{name:24} {mb:>14} {ma:>6} {ms(ib):>13} {ms(ia):>13}  {target}")
    print(json.dumps({"before": before, "after": after}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
