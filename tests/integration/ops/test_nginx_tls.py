"""Real nginx with the rendered TLS server block, a generated certificate and real HTTPS clients; and the
plain-HTTP listener, which only redirects to HTTPS on the same host and this nginx's TLS port."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.devservices.procs import free_port
from infra.nginx import NginxProcess, NginxSettings
from tests import web
from tests.e2e.ops.system_tools import need


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aisha.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("aisha.test"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


class _Backend:
    """A runner stand-in that records what reaches it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = json.dumps({"path": self.path, "proto": self.headers.get("X-Forwarded-Proto")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Edge:
    https_port: int
    http_port: int
    cert: Path
    backend: _Backend


def _edge(tmp_path: Path, server_name: str | None) -> Iterator[Edge]:
    need("nginx")
    cert, key = _certificate(tmp_path / "tls")
    backend = _Backend()
    https_port, http_port = free_port(), free_port()
    nginx = NginxProcess(NginxSettings(prefix=tmp_path / "ngx", listen=f"127.0.0.1:{https_port}",
                                       upstreams=[f"127.0.0.1:{backend.port}"], tls_cert=cert, tls_key=key,
                                       redirect_listen=f"127.0.0.1:{http_port}", server_name=server_name))
    nginx.start()
    try:
        yield Edge(https_port, http_port, cert, backend)
    finally:
        nginx.stop()
        backend.close()


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Edge]:
    yield from _edge(tmp_path, None)


@pytest.fixture
def named_edge(tmp_path: Path) -> Iterator[Edge]:
    yield from _edge(tmp_path, "aisha.test")


def _handshake(edge: Edge, ciphers: str) -> str:
    context = ssl.create_default_context(cafile=str(edge.cert))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ciphers)
    with socket.create_connection(("127.0.0.1", edge.https_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return str(tls.cipher()[0])  # type: ignore[index]


def test_https_serves_with_hsts_and_tells_the_runner_it_was_https(edge: Edge) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(edge.cert))) as client:
        answer = client.get(f"https://127.0.0.1:{edge.https_port}/health")
    assert answer.status_code == 200 and answer.json() == {"path": "/health", "proto": "https"}
    hsts = answer.headers["strict-transport-security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000


def test_tls13_is_spoken_and_only_aead_suites_on_tls12(edge: Edge) -> None:
    context = ssl.create_default_context(cafile=str(edge.cert))
    with socket.create_connection(("127.0.0.1", edge.https_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.version() == "TLSv1.3"
    assert _handshake(edge, "ECDHE-ECDSA-AES128-GCM-SHA256") == "ECDHE-ECDSA-AES128-GCM-SHA256"
    for legacy in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"):  # CBC suites
        with pytest.raises(ssl.SSLError):
            _handshake(edge, legacy)


def test_plain_http_only_redirects_to_https_on_the_same_host_and_tls_port(edge: Edge) -> None:
    for host in ("127.0.0.1", "localhost"):
        answer = web.get(f"http://{host}:{edge.http_port}/webhook/fal/status?x=1&y=2")
        assert answer.status_code == 301
        assert answer.headers["location"] == f"https://{host}:{edge.https_port}/webhook/fal/status?x=1&y=2"
    posted = web.post(f"http://127.0.0.1:{edge.http_port}/webhook/telegram", content=b"{}")
    assert posted.status_code == 301 and posted.headers["location"].startswith(f"https://127.0.0.1:{edge.https_port}/")
    assert edge.backend.seen == []  # nothing on plain HTTP reaches a runner
    with httpx.Client(verify=ssl.create_default_context(cafile=str(edge.cert)), follow_redirects=True) as client:
        followed = client.get(f"http://127.0.0.1:{edge.http_port}/health")
    assert followed.status_code == 200 and followed.json()["proto"] == "https"


def test_with_a_server_name_a_made_up_host_header_is_not_echoed(named_edge: Edge) -> None:
    answer = web.get(f"http://127.0.0.1:{named_edge.http_port}/a?b=1", headers={"Host": "evil.example"})
    assert answer.status_code == 301
    assert answer.headers["location"] == f"https://aisha.test:{named_edge.https_port}/a?b=1"
