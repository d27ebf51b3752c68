"""The last test run of a checkout stops the services the tests started, and only those."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infra.devservices import status
from infra.devservices.redis_server import RedisServer
from infra.devservices.s3 import S3Server
from tests import service_owner

ROOT = Path(__file__).resolve().parents[2]


def test_the_last_run_stops_what_the_tests_started_and_keeps_the_developers(tmp_path: Path) -> None:
    local = tmp_path / ".local"
    developers = RedisServer(local / "redis")
    developers.start()  # `make services` left running (its Redis)
    try:
        service_owner.begin(tmp_path)
        S3Server(local / "s3", ROOT).start()  # what a test worker starts through `up`
        beside = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; "
                                   "from tests import service_owner; service_owner.begin(Path(sys.argv[1])); "
                                   "print('in', flush=True); sys.stdin.read()", str(tmp_path)],
                                  cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert beside.stdout is not None and beside.stdout.readline() == "in\n"
        assert service_owner.end(tmp_path) == []  # another run still uses them
        assert status(tmp_path)["s3"] is not None

        beside.communicate("", timeout=30)  # that run ends without leaving (killed): it is forgotten
        service_owner.begin(tmp_path)
        assert service_owner.end(tmp_path) == ["s3"]
        now = status(tmp_path)
        assert now["s3"] is None and now["redis"] is not None
    finally:
        developers.stop()
        S3Server(local / "s3", ROOT).stop()
