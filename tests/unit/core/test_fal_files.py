"""FAL's result files are fetched over one pooled client per worker: a generation's images share a
connection (one TLS handshake on FAL's file host, not one per image); a closed worker opens a new one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aisha.errors import FalError
from aisha.fal import files

from tests.unit.core.keepalive_server import KeepAliveServer, keepalive_server


def _file_host(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    return (404, b"gone") if path.startswith("/gone/") else (200, f"image at {path}".encode())


@pytest.fixture
def host() -> Iterator[KeepAliveServer]:
    files.close_clients()
    with keepalive_server(_file_host) as running:
        yield running
    files.close_clients()


def test_the_images_of_one_result_share_a_connection(host: KeepAliveServer) -> None:
    got = [files.fetch_file(f"{host.url}/result/{n}.png") for n in range(4)]
    assert got == [f"image at /result/{n}.png".encode() for n in range(4)]
    assert host.connections == 1
    files.close_clients()  # a worker's end (or a test's fresh worker): the next fetch connects again
    files.fetch_file(f"{host.url}/result/5.png")
    assert host.connections == 2


def test_a_connection_the_file_host_dropped_and_a_missing_file(host: KeepAliveServer) -> None:
    host.close_after_answer = True
    files.fetch_file(f"{host.url}/result/1.png")
    assert files.fetch_file(f"{host.url}/result/2.png") == b"image at /result/2.png"  # on a new connection
    with pytest.raises(FalError) as refused:
        files.fetch_file(f"{host.url}/gone/3.png")
    assert (refused.value.code, refused.value.retryable) == ("fal_file_unavailable", False)
    assert host.connections == 2
