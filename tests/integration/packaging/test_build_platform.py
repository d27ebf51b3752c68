"""The build installs for Lambda's platform and refuses, naming the package, what the runtime cannot load."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from local_runner.build import Builder
from local_runner.errors import BuildError
from local_runner.manifest import load_manifest


def wheel(folder: Path, name: str, tag: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel (PEP 427): the package's files, METADATA, WHEEL with its tag, RECORD."""
    dist = f"{name}-1.0.dist-info"
    files = {**files, f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
             f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n".encode()}
    record = "".join(f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()}"
                     f",{len(data)}\n" for path, data in files.items()) + f"{dist}/RECORD,,\n"
    path = folder / f"{name}-1.0-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name_in_zip, data in files.items():
            zf.writestr(name_in_zip, data)
        zf.writestr(f"{dist}/RECORD", record)
    return path


def _open_pipes() -> set[str]:
    """This process's open pipes (pip's output comes through one)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                found.add(fd)
    return found


def collection(root: Path, requirement: str, wheels: Path) -> Path:
    (root / "functions" / "f").mkdir(parents=True)
    (root / "functions" / "f" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (root / "layers" / "vendor").mkdir(parents=True)
    (root / "layers" / "vendor" / "requirements.txt").write_text(
        f"--no-index\n--find-links {wheels}\n{requirement}\n")
    manifest = {"layers": {"vendor": {"requirements": "layers/vendor/requirements.txt"}},
                "functions": {"f": {"source": "functions/f", "handler": "app.handler", "layers": ["vendor"]}}}
    (root / "chalice.json").write_text(json.dumps(manifest))
    return root / "chalice.json"


def build(manifest: Path, root: Path, lines: list[str]) -> list[str]:
    Builder(load_manifest(manifest, environ={}), root / "build", progress=lines.append).build_all()
    return lines


def test_a_wheel_only_for_a_newer_glibc_is_refused_by_name(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "newglibc", "cp311-cp311-manylinux_2_34_x86_64", {"newglibc/__init__.py": b""})
    pipes_before = _open_pipes()
    with pytest.raises(BuildError, match=r"^newglibc==1.0: no binary wheel for this Lambda platform") as refused:
        build(collection(tmp_path, "newglibc==1.0", wheels), tmp_path, [])
    # pip's output pipe is closed as the build fails, not when its error (whose traceback holds the pipe)
    # is collected: a runner rebuilds on each reload for its whole life
    assert _open_pipes() <= pipes_before, refused.value


def test_a_mistagged_wheel_whose_library_needs_a_newer_glibc_is_refused_by_name(tmp_path: Path) -> None:
    import cryptography.hazmat.bindings._rust as rust  # this machine's: a manylinux_2_34 build (GLIBC_2.34)

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "mistagged", "cp311-cp311-manylinux2014_x86_64",
          {"mistagged/__init__.py": b"", "mistagged/_native.abi3.so": Path(rust.__file__).read_bytes()})
    with pytest.raises(BuildError, match=r"^mistagged: mistagged/_native.abi3.so needs GLIBC_2\.\d+; python3.11 has "
                                         r"glibc 2.26"):
        build(collection(tmp_path, "mistagged==1.0", wheels), tmp_path, [])
    assert not (tmp_path / "build" / "layers" / "vendor").exists()  # nothing half-built is left to run


def test_a_compatible_wheel_is_built_with_bytecode_and_progress(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "fine", "py3-none-any", {"fine/__init__.py": b"X = 1\n"})
    lines = build(collection(tmp_path, "fine==1.0", wheels), tmp_path, [])
    tree = tmp_path / "build" / "layers" / "vendor" / "python"
    pyc = tree / "fine" / "__pycache__" / "__init__.cpython-311.pyc"
    assert pyc.is_file() and int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01  # hash-based, unchecked
    assert any("layer vendor: pip install for python3.11 x86_64 (glibc <= 2.26)" in line for line in lines)
    assert any("layer vendor: Processing" in line and "fine-1.0" in line for line in lines)
    assert any(line.startswith("layer vendor: built in") for line in lines)


def test_a_tree_pip_filled_under_another_patch_release_is_rebuilt(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """pip evaluates a requirement's marker against the interpreter that runs it, not --python-version: redis
    needs async-timeout only below 3.11.3, so a layer built under 3.11.2 holds a package that one built under
    3.11.7 lacks, and reusing either after the interpreter changed leaves a worker unable to import."""
    import platform

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "fine", "py3-none-any", {"fine/__init__.py": b"X = 1\n"})
    here = platform.python_version()
    manifest = collection(tmp_path, f'fine==1.0; python_full_version == "{here}"', wheels)
    tree = tmp_path / "build" / "layers" / "vendor" / "python"
    build(manifest, tmp_path, [])
    assert (tree / "fine" / "__init__.py").is_file()
    assert not any("layer vendor: built in" in line for line in build(manifest, tmp_path, []))  # unchanged

    monkeypatch.setattr(platform, "python_version", lambda: here + "1")  # as if another release ran the build
    assert any("layer vendor: built in" in line for line in build(manifest, tmp_path, []))
