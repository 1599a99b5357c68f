"""Fixtures of the e-mail intake tests: the test network, and the intake's real SMTP server
(aiosmtpd on a free port) writing into the test's session, so that what a mail commits stays
inside the test's transaction and is rolled back after it."""

from __future__ import annotations

import email.policy
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from sqlalchemy.orm import Session

from certnet.incidents.intake.service import IntakeLimits
from certnet.incidents.intake.smtp import IntakeHandler, controller
from tests.factories import Network, build_network

#: Small limits, so that the oversize path is cheap to exercise.
LIMITS = IntakeLimits(max_message_bytes=64 * 1024, keep_raw_bytes=8 * 1024)


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


@dataclass(frozen=True)
class Reply:
    """The server's answer to one mail: ``code`` 250 when accepted."""

    code: int
    text: str


@dataclass
class IntakeServer:
    """The intake listening on 127.0.0.1:``port``; ``send`` talks SMTP to it."""

    host: str
    port: int

    def send(
        self, raw: bytes | EmailMessage, *, sender: str, to: str = "incidents@pkcert.example.pk"
    ) -> Reply:
        # On the wire every line ends in CRLF (smtplib leaves bytes as they are).
        data = raw.as_bytes(policy=email.policy.SMTP) if isinstance(raw, EmailMessage) else raw
        with smtplib.SMTP(self.host, self.port, timeout=30) as client:
            client.ehlo("reporter.example.pk")
            code, _ = client.mail(sender)
            assert code == 250
            code, _ = client.rcpt(to)
            assert code == 250
            code, text = client.data(data)
            return Reply(code, text.decode())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _TestSessions:
    """Hands the intake the test's own session: the intake's commit releases a savepoint
    of the test's outer transaction (``join_transaction_mode="create_savepoint"``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self) -> Session:
        return self.session


@contextmanager
def running_intake(handler: IntakeHandler) -> Iterator[IntakeServer]:
    """The intake's SMTP server around ``handler``, on a free port."""
    port = _free_port()
    server = controller(handler, host="127.0.0.1", port=port)
    server.start()
    try:
        yield IntakeServer("127.0.0.1", port)
    finally:
        server.stop()


@pytest.fixture
def intake_server(session: Session, net: Network) -> Iterator[IntakeServer]:
    """The intake's SMTP server; unknown senders' mails go to the National CERT."""
    handler = IntakeHandler(
        session_factory=_TestSessions(session),
        receiving_cert_id=net.certs["pkcert"].id,
        limits=LIMITS,
    )
    with running_intake(handler) as server:
        yield server


def report_mail(
    sender: str,
    subject: str = "Phishing against our customers",
    body: str = "Customers received mails imitating our login page.\n",
    *,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> EmailMessage:
    """A well-formed report mail."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "incidents@pkcert.example.pk"
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="reporter.example.pk")
    mail.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/", 1)
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail
