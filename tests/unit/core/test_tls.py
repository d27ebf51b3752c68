"""One TLS context per process for the outbound HTTPS clients, following SSL_CERT_FILE as httpx does."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from aisha.config import load_settings
from aisha.telegram.bot import make_bot
from aisha.tls import tls_context
from cryptography import x509

from sandbox.fal.tls import ensure_certificates


def test_the_context_is_built_once_and_again_when_the_ca_variables_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    public = tls_context()
    assert tls_context() is public
    certs = ensure_certificates(tmp_path)  # a stand-in's own CA, bundled with the public roots
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.bundle))
    own = tls_context()
    assert own is not public and tls_context() is own
    ca = x509.load_pem_x509_certificate(certs.ca.read_bytes()).subject.get_attributes_for_oid(
        x509.NameOID.COMMON_NAME)[0].value

    def trusted(context: ssl.SSLContext) -> set[str]:
        return {value for cert in context.get_ca_certs() for rdn in cert["subject"] for key, value in rdn
                if key == "commonName"}

    assert ca in trusted(own) and ca not in trusted(public)


def test_the_bots_clients_share_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    bot = make_bot(load_settings({"TELEGRAM_BOT_TOKEN": "123:abc", "DATABASE_URL": "postgresql://db/aisha",
                                  "REDIS_URL": "redis://cache:6379/0"}))
    # python-telegram-bot keeps the keyword arguments of each of its two httpx clients
    assert [request._client_kwargs["verify"] for request in bot._request] == [tls_context(), tls_context()]
