"""A throwaway certificate authority and a server certificate for 127.0.0.1 / localhost.

fal-client only speaks https, so the stand-in serves TLS with a certificate of its own CA. Clients trust
it through `SSL_CERT_FILE` (httpx honours it with its default `trust_env=True`; so does Python's `ssl`
for `create_default_context()` when the variable is set). The bundle written here is the CA *plus*
certifi's public roots, so a process that points SSL_CERT_FILE at it still reaches real HTTPS hosts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
BUNDLE_FILE = "ca-bundle.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
VALIDITY = dt.timedelta(days=30)


@dataclass(frozen=True)
class CertFiles:
    ca: Path
    bundle: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Aisha FAL sandbox"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _still_valid(files: CertFiles, now: dt.datetime) -> bool:
    if not all(p.exists() for p in (files.ca, files.bundle, files.cert, files.key)):
        return False
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    return cert.not_valid_after_utc - now > dt.timedelta(days=1)


def ensure_certificates(cert_dir: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> CertFiles:
    """Create the CA, the server certificate and the trust bundle in `cert_dir` unless valid ones are there."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    files = CertFiles(cert_dir / CA_FILE, cert_dir / BUNDLE_FILE, cert_dir / CERT_FILE, cert_dir / KEY_FILE)
    now = dt.datetime.now(dt.UTC)
    if _still_valid(files, now):
        return files
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Aisha FAL sandbox CA")
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    files.key.write_bytes(_pem_key(key))
    files.key.chmod(0o600)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.ca.write_bytes(ca_pem)
    files.bundle.write_bytes(ca_pem + b"\n" + _public_roots())
    return files


def _public_roots() -> bytes:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return b""
    return Path(certifi.where()).read_bytes()
