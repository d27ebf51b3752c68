"""Run nginx in place, unprivileged or as root: `nginx -p <prefix> -c <conf> -e <log> -g 'daemon off;'`
as a child process, everything it writes under the prefix (by default `.local/nginx/`)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from infra.nginx.template import NginxSettings, write_config


class NginxError(RuntimeError):
    """nginx is missing, refused its configuration, or did not come up."""


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    raise NginxError("nginx not found: apt-get install -y nginx")


class NginxProcess:
    def __init__(self, settings: NginxSettings) -> None:
        self.settings = settings
        self.conf: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def _argv(self, *extra: str) -> list[str]:
        assert self.conf is not None
        prefix = self.settings.prefix.resolve()
        return [nginx_binary(), "-p", str(prefix), "-c", str(self.conf.resolve()),
                "-e", str(prefix / "logs" / "error.log"), *extra]

    def test(self) -> str:
        """Render, then `nginx -t`; returns nginx's report, raises NginxError when it refuses."""
        self.conf = write_config(self.settings)
        done = subprocess.run(self._argv("-t"), capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise NginxError(f"nginx -t refused {self.conf}:\n{done.stderr}")
        return done.stderr

    def start(self, timeout: float = 10.0) -> None:
        self.test()
        log = self.settings.prefix / "logs" / "nginx.out"
        with open(log, "ab") as out:
            # Its own session: Ctrl-C in a terminal reaches only our supervisor, which stops nginx
            # gracefully (SIGQUIT) before the runners, instead of nginx dropping requests in flight.
            self.proc = subprocess.Popen(self._argv("-g", "daemon off;"), stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        host, port = self.address()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NginxError(f"nginx exited with {self.proc.returncode}; see {log}")
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise NginxError(f"nginx did not listen on {host}:{port} within {timeout:.0f} s")

    def address(self) -> tuple[str, int]:
        host, _, port = self.settings.listen.rpartition(":")
        return (host.strip("[]") or "127.0.0.1"), int(port)

    @property
    def url(self) -> str:
        host, port = self.address()
        return f"http://{host}:{port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGQUIT lets requests in flight finish), then SIGKILL after the timeout."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
