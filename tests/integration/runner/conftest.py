"""Real runner processes on free 127.0.0.1 ports, over the fixture collection, sharing one build.

The build (awslambdaric runtime dir, layers, functions) lives under `.local/test-build/`, shared by the
xdist workers and kept between runs: the runner's build lock serializes builders and its content stamps
skip what is unchanged, so the pip installs happen once, not once per worker. Tests never write into it
(the reload test copies it). `server` is one runner shared by the tests that only read;
`start_server` starts a private one (for signals, reload, Redis) and stops it after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runner.build import Builder
from local_runner.manifest import load_manifest
from local_runner.runtime import ensure_runtime
from tests.integration.runner.runner_harness import COLLECTION, ROOT, RunningServer, start


@pytest.fixture(scope="session")
def runner_build() -> Path:
    build = ROOT / ".local" / "test-build" / "runner-collection"
    ensure_runtime(build)
    Builder(load_manifest(COLLECTION / "chalice.json", environ={}), build, zips=False).build_all()
    return build


@pytest.fixture(scope="session")
def server(runner_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start(runner_build, tmp_path_factory.mktemp("runner-logs"))
    yield running
    running.stop()


@pytest.fixture
def start_server(runner_build: Path, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def make(**kwargs: Any) -> RunningServer:
        kwargs.setdefault("manifest", COLLECTION / "chalice.json")
        running = start(kwargs.pop("build", runner_build), tmp_path, **kwargs)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop(timeout=15)
