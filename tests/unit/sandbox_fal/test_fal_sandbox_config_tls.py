"""Settings checks, certificates, and the package's own rules (small typed modules, no import side effects)."""

from __future__ import annotations

import ast
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from sandbox.fal import ConfigError, SandboxConfig
from sandbox.fal.tls import ensure_certificates

PACKAGE = Path(__file__).resolve().parents[3] / "sandbox" / "fal"


def test_update_checks_names_types_and_ranges() -> None:
    config = SandboxConfig()
    config.update({"queue_delay": 3, "files_available": False, "retry_delays": [1, 2]})
    assert config.queue_delay == 3.0 and config.files_available is False and config.retry_delays == (1.0, 2.0)
    for bad in ({"nope": 1}, {"queue_delay": "slow"}, {"failure_rate": 1.5}, {"files_available": 1},
                {"queue_delay": -1}):
        with pytest.raises(ConfigError):
            config.update(bad)
    assert SandboxConfig(retry_time_scale=0.001).retry_waits()[0] == pytest.approx(0.01)
    assert len(SandboxConfig().retry_waits()) == 10 and 6000 < sum(SandboxConfig().retry_waits()) <= 7500
    assert config.as_dict()["key"] == "***"


def test_certificates_are_made_once_and_name_loopback(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    first = files.cert.read_bytes()
    assert ensure_certificates(tmp_path).cert.read_bytes() == first  # reused while valid
    cert = x509.load_pem_x509_certificate(first)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)][:1] == ["127.0.0.1"]
    assert files.bundle.read_bytes().startswith(files.ca.read_bytes())
    assert files.bundle.stat().st_size > files.ca.stat().st_size  # public roots follow
    files.server_context()
    assert isinstance(files.client_context(), ssl.SSLContext)


def test_modules_are_small_and_typed() -> None:
    for module in PACKAGE.glob("*.py"):
        source = module.read_text()
        assert len(source.splitlines()) < 300, module.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.returns is not None, f"{module.name}:{node.name} has no return type"


def test_import_has_no_side_effects() -> None:
    code = ("import os, threading; before = dict(os.environ); import sandbox.fal, sandbox.fal.__main__; "
            "assert dict(os.environ) == before; assert threading.active_count() == 1")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parents[1])
