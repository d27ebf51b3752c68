"""Assemble each function and layer as Lambda sees it, write Lambda-ready zips, rebuild only what changed.

    build/functions/<name>/          the function's folder at the package root (+ its requirements.txt)
    build/functions/<name>.zip
    build/layers/<name>/python/      a tree layer's python/ copied, or a requirements layer pip-installed
    build/layers/<name>.zip          (zip root holds python/, unpacked by Lambda under /opt)
    build/.stamps/<kind>-<name>      content hash of the inputs: unchanged inputs are not rebuilt
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from local_runner.manifest import Function, Layer, Manifest
from local_runner.runtime import build_lock, pip_install

IGNORED = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git"}
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


@dataclass
class Artifact:
    kind: str  # "function" or "layer"
    name: str
    tree: Path
    zip_path: Path | None
    rebuilt: bool
    tree_bytes: int
    zip_bytes: int | None


def _files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED)
        for name in sorted(filenames):
            if not name.endswith((".pyc", ".pyo")):
                yield Path(dirpath) / name


def tree_hash(root: Path, extra: Iterable[str] = ()) -> str:
    digest = hashlib.sha256()
    for item in extra:
        digest.update(item.encode() + b"\0")
    for path in _files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(oct(path.stat().st_mode & 0o111).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in _files(root) if not p.is_symlink())


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*IGNORED, "*.pyc"), dirs_exist_ok=True)


def write_zip(tree: Path, zip_path: Path) -> None:
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in _files(tree):
            info = zipfile.ZipInfo(str(path.relative_to(tree)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (path.stat().st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(zip_path)


class Builder:
    """Builds into `build_root`; `zips=False` assembles trees only (what `serve` needs)."""

    def __init__(self, manifest: Manifest, build_root: Path, zips: bool = True) -> None:
        self.manifest = manifest
        self.root = build_root
        self.zips = zips

    def function_dir(self, name: str) -> Path:
        return self.root / "functions" / name

    def layer_dir(self, name: str) -> Path:
        return self.root / "layers" / name

    def layer_paths(self, fn: Function) -> list[Path]:
        """The import path entries a function's layers give, as /opt/python on Lambda."""
        out: list[Path] = []
        py = f"python{sys.version_info.major}.{sys.version_info.minor}"
        for name in fn.layers:
            base = self.layer_dir(name) / "python"
            out += [base / "lib" / py / "site-packages", base]
        return out

    def build_all(self, names: Iterable[str] | None = None) -> list[Artifact]:
        with build_lock(self.root):
            return self._build_all(names)

    def _build_all(self, names: Iterable[str] | None) -> list[Artifact]:
        wanted = list(self.manifest.functions) if names is None else list(names)
        layer_names = sorted({layer for n in wanted for layer in self.manifest.functions[n].layers})
        if names is None:
            layer_names = sorted(self.manifest.layers)
        out = [self.build_layer(self.manifest.layers[n]) for n in layer_names]
        out += [self.build_function(self.manifest.functions[n]) for n in wanted]
        return out

    def build_function(self, fn: Function) -> Artifact:
        req = fn.source / "requirements.txt"
        extra = [req.read_text()] if req.is_file() else []
        digest = tree_hash(fn.source, [f"python{sys.version_info[:2]}", *extra])

        def make(tmp: Path) -> None:
            _copy_tree(fn.source, tmp)
            if req.is_file():
                pip_install(["-r", str(req)], tmp)

        return self._build("function", fn.name, self.function_dir(fn.name), digest, make)

    def build_layer(self, layer: Layer) -> Artifact:
        if layer.source is not None:
            src = layer.source
            digest = tree_hash(src / "python")

            def make(tmp: Path) -> None:
                _copy_tree(src / "python", tmp / "python")
        else:
            assert layer.requirements is not None
            reqs = layer.requirements
            digest = hashlib.sha256(reqs.read_bytes() + f"{sys.version_info[:2]}".encode()).hexdigest()

            def make(tmp: Path) -> None:
                pip_install(["-r", str(reqs)], tmp / "python")

        return self._build("layer", layer.name, self.layer_dir(layer.name), digest, make)

    def _build(self, kind: str, name: str, tree: Path, digest: str, make: object) -> Artifact:
        stamp = self.root / ".stamps" / f"{kind}-{name}"
        zip_path = tree.with_name(name + ".zip") if self.zips else None
        fresh = stamp.is_file() and stamp.read_text() == digest and tree.is_dir()
        if not fresh:
            tmp = tree.with_name(name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                make(tmp)  # type: ignore[operator]
            except Exception:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            old = tree.with_name(name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if tree.exists():
                tree.rename(old)
            tmp.rename(tree)
            shutil.rmtree(old, ignore_errors=True)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(digest)
        zip_stamp = self.root / ".stamps" / f"{kind}-{name}.zip"
        rebuilt_zip = False
        if zip_path is not None and not (zip_path.is_file() and zip_stamp.is_file()
                                         and zip_stamp.read_text() == digest):
            write_zip(tree, zip_path)
            zip_stamp.write_text(digest)
            rebuilt_zip = True
        return Artifact(kind, name, tree, zip_path, not fresh or rebuilt_zip, _tree_size(tree),
                        zip_path.stat().st_size if zip_path is not None else None)


def size_report(artifacts: list[Artifact], manifest: Manifest) -> str:
    def mb(n: int | None) -> str:
        if n is None:
            return "-"
        return f"{n / 1024 / 1024:.2f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"

    lines = [f"{'kind':8} {'name':24} {'unzipped':>11} {'zip':>11}  status"]
    sizes = {(a.kind, a.name): a.tree_bytes for a in artifacts}
    for a in artifacts:
        lines.append(f"{a.kind:8} {a.name:24} {mb(a.tree_bytes):>11} {mb(a.zip_bytes):>11}  "
                     f"{'built' if a.rebuilt else 'unchanged'}")
    for a in artifacts:
        if a.kind != "function":
            continue
        total = a.tree_bytes + sum(sizes.get(("layer", n), 0) for n in manifest.functions[a.name].layers)
        if total > LAMBDA_UNZIPPED_LIMIT:
            lines.append(f"WARNING: {a.name} with its layers is {mb(total).strip()} unzipped; Lambda allows 250 MB")
    return "\n".join(lines)
