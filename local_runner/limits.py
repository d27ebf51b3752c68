"""Lambda's deployment limits checked against a build, and the size report `build` and `package` print."""

from __future__ import annotations

from local_runner.build import Artifact
from local_runner.manifest import MAX_LAYERS, Manifest

ZIPPED_LIMIT = 50 * 1024 * 1024  # a zip uploaded directly (function or layer)
UNZIPPED_LIMIT = 250 * 1024 * 1024  # a function with all its layers, unzipped


def _mb(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1024 / 1024:.2f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def limit_problems(artifacts: list[Artifact], manifest: Manifest) -> list[str]:
    """Each way the build breaks a Lambda limit, in words; empty when it fits."""
    problems = []
    sizes = {(a.kind, a.name): a.tree_bytes for a in artifacts}
    for a in artifacts:
        if a.zip_bytes is not None and a.zip_bytes > ZIPPED_LIMIT:
            problems.append(f"{a.kind} {a.name}: {_mb(a.zip_bytes)} zipped; Lambda allows 50 MB per upload")
    for a in artifacts:
        if a.kind != "function":
            continue
        fn = manifest.functions[a.name]
        if len(fn.layers) > MAX_LAYERS:
            problems.append(f"function {a.name}: {len(fn.layers)} layers; Lambda allows {MAX_LAYERS}")
        total = a.tree_bytes + sum(sizes.get(("layer", n), 0) for n in fn.layers)
        if total > UNZIPPED_LIMIT:
            problems.append(f"function {a.name}: {_mb(total)} unzipped with its layers; Lambda allows 250 MB")
    return problems


def size_report(artifacts: list[Artifact], manifest: Manifest) -> str:
    rt = manifest.runtime
    lines = [f"runtime {rt.name} {rt.architecture} (glibc {rt.glibc[0]}.{rt.glibc[1]})",
             f"{'kind':8} {'name':24} {'unzipped':>11} {'zip':>11} {'before':>11}  status"]
    for a in artifacts:
        lines.append(f"{a.kind:8} {a.name:24} {_mb(a.tree_bytes):>11} {_mb(a.zip_bytes):>11} "
                     f"{_mb(a.previous_bytes):>11}  {'built' if a.rebuilt else 'unchanged'}")
    sizes = {(a.kind, a.name): a.tree_bytes for a in artifacts}
    totals = [a.tree_bytes + sum(sizes.get(("layer", n), 0) for n in manifest.functions[a.name].layers)
              for a in artifacts if a.kind == "function"]
    if totals:
        lines.append(f"largest function with its layers: {_mb(max(totals))} unzipped (Lambda allows 250 MB)")
    lines += [f"OVER LIMIT: {p}" for p in limit_problems(artifacts, manifest)]
    return "\n".join(lines)
