"""The baselines the runner is measured against, started as processes: `chalice local` and a bare uvicorn
hello (the ceiling of a Python HTTP server on this machine); and the CPU time of a process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from infra.devservices.procs import free_port

HELLO = '''async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})
'''


def _serve(argv: list[str], cwd: Path, log: Path, url: str) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{argv[0]} did not start; see {log}")


def start_chalice_local(ping_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    chalice = Path(sys.executable).with_name("chalice")
    return _serve([str(chalice), "local", "--host", "127.0.0.1", "--port", str(port)], ping_dir, log,
                  f"http://127.0.0.1:{port}/ping"), port


def start_uvicorn_hello(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn (httptools + uvloop, as pinned) answering a constant from one process."""
    (home / "hello_app.py").write_text(HELLO)
    port = free_port()
    return _serve([sys.executable, "-m", "uvicorn", "hello_app:app", "--host", "127.0.0.1", "--port", str(port),
                   "--no-access-log", "--log-level", "warning"], home, home / "uvicorn.log",
                  f"http://127.0.0.1:{port}/"), port


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (not of its children: a runner's workers are not counted)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
