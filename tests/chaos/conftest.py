"""One chaos stack (bench.chaos_stack: nginx, two runners, the stand-ins, PostgreSQL, Redis and S3 of its
own) for the scenarios of this folder, which tests/conftest.py keeps on one xdist worker; everything it
started is stopped when they are done, whatever a fault left behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.chaos_stack import ChaosStack


@pytest.fixture(scope="session")
def chaos_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosStack]:
    stack = ChaosStack(tmp_path_factory.mktemp("chaos")).start()
    try:
        yield stack
    finally:
        stack.stop()
