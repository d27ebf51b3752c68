"""Session fixtures: real PostgreSQL, Redis and S3 servers, and a fresh database per test run.

Safe under pytest-xdist: every worker calls `up` (serialized by a lock per checkout; the first one
starts what is missing, the others reuse it) and gets a database of its own. The controlling process
(or the only one, without xdist) registers the run with tests/service_owner.py: the last run of the
checkout to finish stops the services the tests started, and a developer's `make services` keeps running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aisha.init_phase import init_phase

from infra.devservices import up
from infra.migrate import apply_migrations
from tests import service_owner

ROOT = Path(__file__).resolve().parents[1]


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if not _is_xdist_worker(config):
        service_owner.begin(ROOT)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """Collection imports the suite's ~1,800 modules, which live for the whole run: in a function's init phase
    (the cyclic collector paused meanwhile, all of it frozen after) a worker collects in about a tenth less CPU,
    and every full collection during the tests no longer walks it."""
    with init_phase():
        return (yield)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """After every worker has finished: the last run of this checkout stops what the tests started."""
    if not _is_xdist_worker(config):
        service_owner.end(ROOT)


# Tests that share one heavy stack run on one xdist worker, so only one worker builds and warms it: the
# Aisha stack (two runners with every function, the stand-ins; every test on it lives under
# tests/e2e/aisha/, whose conftest defines it: a conftest elsewhere that imported the fixture made a second
# definition of it, and a second stack), the runner e2e module's nginx + runners stack, and the chaos
# scenarios' (with services of its own, which they restart). xdist's own
# `xdist_group` marker does nothing under pytest 9 (it renames `item._nodeid`, which pytest 9 no longer
# reads), so `--dist loadgroup` gets this scheduler: those groups, the packaging tests (which share one
# package of the collection, its SAM translation and every function imported from its zips), and every
# other module as a unit, so that a module's own fixtures are made once in a run, not once per worker
# that happens to get one of its tests (with three workers the packaging was built and probed three times).
STACK_GROUPS = {"tests/e2e/aisha/": "e2e-aisha-stack", "tests/e2e/runner/test_through_nginx.py": "e2e-runner-stack",
                "tests/chaos/": "chaos-stack", "tests/integration/packaging/": "packaging"}
# Then the modules that take longest on their own (8-14 s each in a 4-worker run on 2 cores), so that none of
# them is what a worker is still running when the others are done: left to xdist's order (by number of
# tests) the Prometheus alert test began 110 s into a 126 s run.
LONGEST_FIRST = ("chaos-stack", "e2e-aisha-stack", "packaging", "e2e-runner-stack",
                 "tests/e2e/ops/test_prometheus_alerts.py", "tests/integration/runner/test_runner_scaling.py",
                 "tests/integration/runner/test_runner_lambda.py", "tests/functional/test_tg_resilience.py",
                 "tests/integration/ops/test_alert_rules.py", "tests/integration/runner_async/test_queue.py",
                 "tests/integration/runner/test_runner_operations.py",
                 "tests/integration/runner/test_runner_build_cli.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class StackGroupScheduling(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return next((group for prefix, group in STACK_GROUPS.items() if nodeid.startswith(prefix)), module)

        def _assign_work_unit(self, node: Any) -> None:
            # LONGEST_FIRST's scopes first, in its order: xdist ranks scopes by their number of tests, which
            # sent the chaos group (8 tests, ~75 s) out 40 s into a run, where it became the run's tail
            if not self.ordered:
                self.ordered = True
                for group in reversed(LONGEST_FIRST):
                    if group in self.workqueue:
                        self.workqueue.move_to_end(group, last=False)
            super()._assign_work_unit(node)

    return StackGroupScheduling(config, log)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """Connection settings of running services: started here unless the environment names them.

    boto3 reads credentials from the environment (as on Lambda), so the local S3 endpoint's are
    exported for the test process unless the environment already has some.
    """
    env = up(ROOT, migrate=False).env
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        if key in env:
            os.environ.setdefault(key, env[key])
    return env


@pytest.fixture(scope="session")
def database_url(services: dict[str, str]) -> Iterator[str]:
    """A database of its own for this test run, migrated from empty."""
    name = f"aisha_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _with_database(services["DATABASE_URL"], "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(services["DATABASE_URL"], name)
    apply_migrations(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def fresh_database_factory(services: dict[str, str]) -> Iterator[object]:
    """Make empty databases on demand (migration tests); all dropped at the end."""
    admin = _with_database(services["DATABASE_URL"], "postgres")
    made: list[str] = []

    def make() -> str:
        name = f"aisha_empty_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return _with_database(services["DATABASE_URL"], name)

    yield make
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
