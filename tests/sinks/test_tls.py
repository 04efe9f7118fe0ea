"""HTTPS sinks verify certificates by default; TRAILWARDEN_CA_BUNDLE adds a private CA."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine.errors import UsageError
from engine.sinks import open_sink
from tests.sinks.conftest import findings
from tests.sinks.servers import WebhookReceiver


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, as a private Splunk or Elastic might use."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trailwarden test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[WebhookReceiver, Path]]:
    cert, key = self_signed(tmp_path)
    server = WebhookReceiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.start()
    yield server, cert
    server.stop()


def test_an_unknown_certificate_is_not_trusted(tls_receiver: tuple[WebhookReceiver, Path]) -> None:
    server, _ = tls_receiver
    result = open_sink(f"webhook+https://127.0.0.1:{server.port}/").send(findings(1))
    assert result.retry and "CERTIFICATE_VERIFY_FAILED" in next(iter(result.retry.values()))
    assert not server.received


def test_a_ca_bundle_from_the_environment_is_trusted(
    tls_receiver: tuple[WebhookReceiver, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_receiver
    monkeypatch.setenv("TRAILWARDEN_CA_BUNDLE", str(cert))
    result = open_sink(f"webhook+https://127.0.0.1:{server.port}/").send(findings(2))
    assert len(result.delivered) == 2 and len(server.received) == 2


def test_an_unreadable_ca_bundle_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRAILWARDEN_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(UsageError, match="TRAILWARDEN_CA_BUNDLE"):
        open_sink("webhook+https://127.0.0.1:9/")
