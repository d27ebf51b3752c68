"""Assemble each function and layer as Lambda sees it, write Lambda-ready zips, rebuild only what changed.

    build/functions/<name>/          the function's folder at the package root (+ its requirements.txt)
    build/functions/<name>.zip
    build/layers/<name>/python/      a tree layer's python/ copied, or a requirements layer pip-installed
    build/layers/<name>.zip          (zip root holds python/, unpacked by Lambda under /opt)
    build/.stamps/<kind>-<name>      content hash of the inputs: unchanged inputs are not rebuilt

Third-party code is installed for the manifest's Lambda runtime (its Python, manylinux wheels its glibc
loads, its architecture), never for this machine, and checked after install (`glibc_check`); every tree
carries bytecode for the runtime's Python (`bytecode`). The runner runs these very trees, so what is
tested locally is what ships.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from local_runner.bytecode import compile_tree
from local_runner.errors import BuildError
from local_runner.glibc_check import check_tree
from local_runner.manifest import Function, Layer, Manifest
from local_runner.runtime import Progress, build_lock, pip_install

IGNORED = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git"}
BUILD_FORMAT = "2"  # bump when the layout of a built tree changes (2: Lambda platform wheels + bytecode)
log = logging.getLogger("local_runner.build")


@dataclass
class Artifact:
    kind: str  # "function" or "layer"
    name: str
    tree: Path
    zip_path: Path | None
    rebuilt: bool
    tree_bytes: int
    zip_bytes: int | None
    previous_bytes: int | None = None  # unzipped size before this rebuild, when it was rebuilt


def _files(root: Path, shipped: bool = False) -> Iterator[Path]:
    """Source files (for hashing) or, with shipped=True, everything that goes into the zip (with bytecode)."""
    skip = IGNORED - {"__pycache__"} if shipped else IGNORED
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for name in sorted(filenames):
            if shipped or not name.endswith((".pyc", ".pyo")):
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


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in _files(root, shipped=True) if not p.is_symlink())


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*IGNORED, "*.pyc"), dirs_exist_ok=True)


def write_zip(tree: Path, zip_path: Path) -> None:
    """Deterministic: sorted entries, a fixed date, so equal trees give byte-identical zips."""
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in _files(tree, shipped=True):
            info = zipfile.ZipInfo(str(path.relative_to(tree)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (path.stat().st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(zip_path)


class Builder:
    """Builds into `build_root`; `zips=False` assembles trees only (what `serve` needs).

    `progress` hears what a long build is doing (default: the `local_runner.build` logger at INFO)."""

    def __init__(self, manifest: Manifest, build_root: Path, zips: bool = True,
                 progress: Progress | None = None) -> None:
        self.manifest = manifest
        self.root = build_root
        self.zips = zips
        self.runtime = manifest.runtime
        self.progress: Progress = progress or log.info

    def function_dir(self, name: str) -> Path:
        return self.root / "functions" / name

    def layer_dir(self, name: str) -> Path:
        return self.root / "layers" / name

    def layer_paths(self, fn: Function) -> list[Path]:
        """The import path entries a function's layers give, as /opt/python on Lambda."""
        out: list[Path] = []
        py = f"python{self.runtime.version_text}"
        for name in fn.layers:
            base = self.layer_dir(name) / "python"
            out += [base / "lib" / py / "site-packages", base]
        return out

    def check_runs_here(self) -> None:
        """The runner runs the built trees with this machine's Python: they must be built for it."""
        if not self.runtime.runs_here():
            raise BuildError(f"the manifest's runtime is {self.runtime.name} on {self.runtime.architecture}; this "
                             "machine cannot run it locally (`package` still builds it)")

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

    def _platform(self) -> list[str]:
        # pip evaluates environment markers against the interpreter running it, whatever --python-version says
        # (redis wants async-timeout below Python 3.11.3): what another patch release installed is rebuilt
        return [BUILD_FORMAT, self.runtime.name, self.runtime.architecture, platform.python_version()]

    def _pip(self, label: str, args: list[str], target: Path) -> None:
        self.progress(f"{label}: pip install for {self.runtime.name} {self.runtime.architecture} "
                      f"(glibc <= {self.runtime.glibc[0]}.{self.runtime.glibc[1]})")
        pip_install(args, target, self.runtime.pip_args(), lambda line: self.progress(f"{label}: {line}"))
        check_tree(target, self.runtime)

    def _compile(self, label: str, tree: Path, lambda_dir: str) -> None:
        python = self.runtime.local_python()
        if python is None:
            self.progress(f"{label}: no python{self.runtime.version_text} here, so no bytecode: cold starts "
                          "on Lambda will compile every module")
            return
        started = time.monotonic()
        failed = compile_tree(python, tree, lambda_dir)
        note = f" ({len(failed)} files are not valid Python {self.runtime.version_text})" if failed else ""
        self.progress(f"{label}: bytecode compiled in {time.monotonic() - started:.1f}s{note}")

    def build_function(self, fn: Function) -> Artifact:
        req = fn.source / "requirements.txt"
        extra = [req.read_text()] if req.is_file() else []
        digest = tree_hash(fn.source, [*self._platform(), *extra])
        label = f"function {fn.name}"

        def make(tmp: Path) -> None:
            _copy_tree(fn.source, tmp)
            if req.is_file():
                self._pip(label, ["-r", str(req)], tmp)
            self._compile(label, tmp, "/var/task")

        return self._build("function", fn.name, self.function_dir(fn.name), digest, make)

    def build_layer(self, layer: Layer) -> Artifact:
        label = f"layer {layer.name}"
        if layer.source is not None:
            src = layer.source
            digest = tree_hash(src / "python", self._platform())

            def make(tmp: Path) -> None:
                _copy_tree(src / "python", tmp / "python")
                self._compile(label, tmp, "/opt")
        else:
            assert layer.requirements is not None
            reqs = layer.requirements
            digest = hashlib.sha256(reqs.read_bytes() + "\0".join(self._platform()).encode()).hexdigest()

            def make(tmp: Path) -> None:
                self._pip(label, ["-r", str(reqs)], tmp / "python")
                self._compile(label, tmp, "/opt")

        return self._build("layer", layer.name, self.layer_dir(layer.name), digest, make)

    def _build(self, kind: str, name: str, tree: Path, digest: str, make: Callable[[Path], None]) -> Artifact:
        stamp = self.root / ".stamps" / f"{kind}-{name}"
        sizes = self.root / ".stamps" / f"{kind}-{name}.size"
        zip_path = tree.with_name(name + ".zip") if self.zips else None
        fresh = stamp.is_file() and stamp.read_text() == digest and tree.is_dir()
        previous = json.loads(sizes.read_text()) if sizes.is_file() else None
        if not fresh:
            started = time.monotonic()
            self.progress(f"{kind} {name}: building")
            tmp = tree.with_name(name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                make(tmp)
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
            self.progress(f"{kind} {name}: built in {time.monotonic() - started:.1f}s")
        zip_stamp = self.root / ".stamps" / f"{kind}-{name}.zip"
        rebuilt_zip = False
        if zip_path is not None and not (zip_path.is_file() and zip_stamp.is_file()
                                         and zip_stamp.read_text() == digest):
            write_zip(tree, zip_path)
            zip_stamp.write_text(digest)
            rebuilt_zip = True
        # an unchanged tree keeps the size recorded when it was built: walking it (the deps layer has thousands
        # of files) was a sixth of a runner's start
        size = previous if fresh and isinstance(previous, int) else tree_size(tree)
        if size != previous:
            sizes.write_text(json.dumps(size))
        return Artifact(kind, name, tree, zip_path, not fresh or rebuilt_zip, size,
                        zip_path.stat().st_size if zip_path is not None else None,
                        previous if not fresh and previous != size else None)
