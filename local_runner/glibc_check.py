"""What a built tree asks of the runtime: the wheels' platform tags and every shared object's glibc needs.

A wheel's tag is a promise; the ELF version needs (`.gnu.version_r`, the `GLIBC_2.x` entries) are what the
dynamic loader checks. Both are read after pip installs, so a mis-tagged wheel is caught too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from local_runner.errors import BuildError
from local_runner.lambda_runtime import LambdaRuntime, check_wheel_tags

_GLIBC_VERSION = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")


def glibc_needs(path: Path) -> tuple[int, int] | None:
    """The newest `GLIBC_x.y` symbol version this ELF file needs, or None if it needs none."""
    from elftools.elf.elffile import ELFFile  # imported here: only builds read ELF files
    from elftools.elf.gnuversions import GNUVerNeedSection

    newest: tuple[int, int] | None = None
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        for section in elf.iter_sections():
            if not isinstance(section, GNUVerNeedSection):
                continue
            for _, aux in section.iter_versions():
                for entry in aux:
                    m = _GLIBC_VERSION.match(entry.name)
                    if m:
                        version = (int(m.group(1)), int(m.group(2)))
                        newest = version if newest is None or version > newest else newest
    return newest


def shared_objects(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and (path.suffix == ".so" or ".so." in path.name):
            with open(path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    yield path


def _owners(site: Path) -> dict[str, str]:
    """Installed file (relative to site) -> the distribution that installed it, from the RECORD files."""
    owners: dict[str, str] = {}
    for record in site.glob("*.dist-info/RECORD"):
        dist = record.parent.name.split("-")[0]
        for line in record.read_text().splitlines():
            owners[line.split(",")[0]] = dist
    return owners


def check_tree(site: Path, runtime: LambdaRuntime) -> None:
    """Refuse, naming the package, a wheel or a shared object the runtime's glibc cannot load."""
    for wheel in sorted(site.glob("*.dist-info/WHEEL")):
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
        check_wheel_tags(wheel.parent.name.split("-")[0], tags, runtime)
    owners = _owners(site)
    for so in shared_objects(site):
        need = glibc_needs(so)
        if need is not None and need > runtime.glibc:
            rel = str(so.relative_to(site))
            raise BuildError(f"{owners.get(rel, rel)}: {rel} needs GLIBC_{need[0]}.{need[1]}; {runtime.name} has "
                             f"glibc {runtime.glibc[0]}.{runtime.glibc[1]}")
