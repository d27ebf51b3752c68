"""Lambda's Python runtimes: which interpreter and glibc each has, and the pip flags that fetch wheels for it.

AWS facts: python3.11 runs on Amazon Linux 2 (glibc 2.26); python3.12 and later on Amazon Linux 2023
(glibc 2.34). A manylinux wheel names the oldest glibc it needs (`manylinux_2_28_x86_64` needs 2.28; the
legacy aliases manylinux1 / 2010 / 2014 mean 2.5 / 2.12 / 2.17), so a wheel fits a runtime when that
glibc is not newer than the runtime's.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass

from local_runner.errors import BuildError

GLIBC: dict[str, tuple[int, int]] = {
    "python3.11": (2, 26),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
    "python3.14": (2, 34),
}
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}  # Lambda's name -> the wheel tags' machine name
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(\w+)$")
_LEGACY = re.compile(r"^(manylinux1|manylinux2010|manylinux2014)_(\w+)$")
_MUSL_OR_OTHER = re.compile(r"^(musllinux_\d+_\d+|linux|macosx|win)")


@dataclass(frozen=True)
class LambdaRuntime:
    name: str  # python3.11
    architecture: str  # x86_64 | arm64

    @property
    def version(self) -> tuple[int, int]:
        major, minor = self.name.removeprefix("python").split(".")
        return int(major), int(minor)

    @property
    def version_text(self) -> str:
        return "{}.{}".format(*self.version)

    @property
    def glibc(self) -> tuple[int, int]:
        return GLIBC[self.name]

    @property
    def machine(self) -> str:
        return ARCHITECTURES[self.architecture]

    def platform_tags(self) -> list[str]:
        """Every manylinux tag this runtime loads, newest first (pip needs them all spelled out)."""
        major, top = self.glibc
        tags = [f"manylinux_{major}_{minor}_{self.machine}" for minor in range(top, 4, -1)]
        tags += [f"{alias}_{self.machine}" for alias, need in LEGACY_MANYLINUX.items()
                 if need <= self.glibc and (self.machine == "x86_64" or alias == "manylinux2014")]
        return tags

    def pip_args(self) -> list[str]:
        """Binary wheels for this runtime only: no sdist is built on this machine for another platform."""
        args = ["--python-version", self.version_text, "--implementation", "cp", "--only-binary=:all:"]
        for tag in self.platform_tags():
            args += ["--platform", tag]
        return args

    def local_python(self) -> str | None:
        """An interpreter of this runtime's version on this machine, for bytecode and local workers."""
        if sys.version_info[:2] == self.version:
            return sys.executable
        return shutil.which(f"python{self.version_text}")

    def runs_here(self) -> bool:
        """Can this machine's workers run what was built for the runtime (same Python, same machine)?"""
        import platform

        return sys.version_info[:2] == self.version and platform.machine() == self.machine


def parse_runtime(name: str, architecture: str) -> LambdaRuntime:
    if name not in GLIBC:
        raise ValueError(f"unsupported runtime {name!r} (have: {', '.join(GLIBC)})")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unsupported architecture {architecture!r} (have: {', '.join(ARCHITECTURES)})")
    return LambdaRuntime(name, architecture)


def platform_glibc(tag: str) -> tuple[int, int] | None:
    """The glibc a wheel's platform tag needs; None for a platform-independent one (`any`)."""
    if tag == "any":
        return None
    m = _MANYLINUX.match(tag)
    if m:
        return int(m.group(1)), int(m.group(2))
    legacy = _LEGACY.match(tag)
    if legacy:
        return LEGACY_MANYLINUX[legacy.group(1)]
    if _MUSL_OR_OTHER.match(tag):
        return (99, 0)  # not a glibc Linux wheel: never loadable on Lambda
    raise ValueError(f"unknown platform tag {tag!r}")


def check_wheel_tags(package: str, tags: list[str], runtime: LambdaRuntime) -> None:
    """Refuse an installed wheel none of whose tags the runtime can load (the WHEEL file's `Tag:` lines)."""
    needs = []
    for tag in tags:
        platform = tag.split("-")[-1]
        need = platform_glibc(platform)
        if need is None or (need <= runtime.glibc and platform.endswith(runtime.machine)):
            return
        needs.append(platform)
    if needs:
        raise BuildError(f"{package}: its wheel ({', '.join(needs)}) needs a newer glibc or another platform "
                         f"than {runtime.name} on {runtime.architecture} has (glibc "
                         f"{'.'.join(map(str, runtime.glibc))}); pin a version that ships a compatible wheel")
