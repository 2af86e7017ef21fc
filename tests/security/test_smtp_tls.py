"""Mail goes over STARTTLS whenever the server offers it, and SMTP credentials never travel without TLS
(real SMTP servers, aiosmtpd, with and without a certificate)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.mail import SendFailure, SmtpMailer
from notifications.settings import NotificationsSettings


@dataclass
class Server:
    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class Recorder:
    def __init__(self, server: Server) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.server.received.append({"to": envelope.rcpt_tos, "tls": session.ssl is not None})
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.pem", directory / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    return certificate(tmp_path)


def serve(tls_files: tuple[Path, Path] | None) -> Iterator[Server]:
    server = Server(free_port())

    def authenticate(smtp: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        server.logins.append(auth_data.login.decode())
        return AuthResult(success=True)

    options: dict[str, Any] = {"authenticator": authenticate, "auth_require_tls": False}  # the client must refuse, not the server
    if tls_files is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls_files)
        options["tls_context"] = context
    controller = Controller(Recorder(server), hostname="127.0.0.1", port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(tls_files: tuple[Path, Path]) -> Iterator[Server]:
    yield from serve(tls_files)


@pytest.fixture
def plain_server() -> Iterator[Server]:
    yield from serve(None)


def mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "no-reply@together.test", "ravi@un.test", "hello"
    message.set_content("hello")
    return message


def settings(port: int, **overrides: Any) -> NotificationsSettings:
    return NotificationsSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=5, **overrides)


async def test_mail_goes_over_starttls_when_the_server_offers_it_and_credentials_only_then(starttls_server, tls_files):
    mailer = SmtpMailer(
        settings(starttls_server.port, smtp_ca_file=str(tls_files[0]), smtp_username="notifications", smtp_password="s3cret")
    )
    await mailer.send(mail())
    assert starttls_server.received == [{"to": ["ravi@un.test"], "tls": True}]
    assert starttls_server.logins == ["notifications"]


async def test_credentials_are_never_sent_to_a_server_without_tls(plain_server):
    mailer = SmtpMailer(settings(plain_server.port, smtp_username="notifications", smtp_password="s3cret"))
    with pytest.raises(SendFailure) as refused:
        await mailer.send(mail())
    assert refused.value.permanent and "never sent without TLS" in refused.value.reason
    assert plain_server.logins == [] and plain_server.received == []


async def test_without_credentials_a_plain_server_still_gets_the_mail(plain_server):
    await SmtpMailer(settings(plain_server.port)).send(mail())  # the development mail sink
    assert plain_server.received == [{"to": ["ravi@un.test"], "tls": False}]


async def test_required_starttls_refuses_a_server_without_it(plain_server):
    with pytest.raises(SendFailure):
        await SmtpMailer(settings(plain_server.port, smtp_security="starttls")).send(mail())
    assert plain_server.received == []
