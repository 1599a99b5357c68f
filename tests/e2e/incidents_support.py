"""Fixtures of the incidents browser tests: a live certnet (uvicorn) and the e-mail intake
(``certnet intake smtp``) as subprocesses over one fresh database holding the test network —
a SQLite file, or a PostgreSQL database created for the run and dropped after it — and a
browser context pointed at that server.

The story test runs on both engines; the other browser tests on SQLite.
"""

from __future__ import annotations

import email.policy
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from certnet.core import clock
from certnet.db import migrate
from certnet.db.session import make_engine
from certnet.identity import service as identity
from certnet.incidents import service as incidents
from certnet.incidents.models import Channel
from certnet.incidents.schemas import IncidentReport
from tests.e2e.conftest import fresh_postgres_database, running_app, server_env, stop
from tests.factories import build_network

# The machine running the suite may be busy: a page that takes a few seconds to come back
# (a report, with routing, correlation and mail) is slow, not wrong.
expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class IncidentsServer:
    """A running certnet with its mail intake, and the ids of the network it serves."""

    url: str
    backend: str
    database_url: str
    smtp_host: str
    smtp_port: int
    certs: dict[str, int]
    orgs: dict[str, int]
    users: dict[str, int]

    def send_mail(self, mail: EmailMessage | bytes, *, sender: str) -> tuple[int, str]:
        """One SMTP conversation with the intake: the reply code and text to DATA."""
        data = mail.as_bytes(policy=email.policy.SMTP) if isinstance(mail, EmailMessage) else mail
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=30) as client:
            client.ehlo("mx.example.pk")
            client.mail(sender)
            client.rcpt("incidents@pkcert.example.pk")
            code, reply = client.data(data)
        return code, reply.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fill(url: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        net = build_network(session)
        session.commit()
        ids = (
            {k: c.id for k, c in net.certs.items()},
            {k: o.id for k, o in net.orgs.items()},
            {k: u.id for k, u in net.users.items()},
        )
    engine.dispose()
    return ids


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the intake exited with {process.returncode}")
        with suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the intake on {host}:{port} did not come up")


@pytest.fixture(scope="module")
def incidents_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IncidentsServer]:
    """certnet and ``certnet intake smtp`` over a fresh database (``request.param``:
    ``sqlite``, the default, or ``postgresql``)."""
    backend = getattr(request, "param", "sqlite")
    folder = tmp_path_factory.mktemp(f"incidents-{backend}")
    with ExitStack() as stack:
        if backend == "postgresql":
            database_url = stack.enter_context(fresh_postgres_database())
        else:
            database_url = f"sqlite:///{folder / 'certnet.sqlite3'}"
        certs, orgs, users = _fill(database_url)
        env = server_env(database_url, folder)
        smtp_port = free_port()
        url = stack.enter_context(running_app(database_url, folder))
        log = stack.enter_context((folder / "intake.log").open("wb"))
        mail = subprocess.Popen(
            [sys.executable, "-m", "certnet.cli", "intake", "smtp",
             "--listen", f"127.0.0.1:{smtp_port}", "--cert", "pkcert"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        stack.callback(stop, mail)
        _wait_for_port("127.0.0.1", smtp_port, mail)
        yield IncidentsServer(
            url=url,
            backend=backend,
            database_url=database_url,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            certs=certs,
            orgs=orgs,
            users=users,
        )


@pytest.fixture
def incidents_context(
    browser: Browser, incidents_server: IncidentsServer
) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) on the incidents server."""
    made = browser.new_context(
        base_url=incidents_server.url, viewport={"width": 1360, "height": 900}, locale="en-GB"
    )
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def ipage(incidents_context: BrowserContext) -> Page:
    """A page that records every browser console error (a CSP violation shows up there)."""
    made = incidents_context.new_page()
    errors: list[str] = []
    made.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    made.console_errors = errors  # type: ignore[attr-defined]
    return made


def console_errors(page: Page) -> list[str]:
    """What the browser's console reported as errors on ``page``, but for the status of a form
    sent back with its errors (422 and the like are the page working as meant)."""
    found: list[str] = page.console_errors  # type: ignore[attr-defined]
    return [e for e in found if "server responded with a status of 4" not in e]


def report_mail(sender: str, subject: str, body: str) -> EmailMessage:
    """A report mail as a constituent's mail client would send it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "incidents@pkcert.example.pk"
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="mx.example.pk")
    mail.set_content(body)
    return mail


def seed_report(server: IncidentsServer, username: str, **fields: object) -> tuple[int, str]:
    """Report an incident straight through the service, as ``username``, into the server's
    database (for tests about what happens after a report): its id and reference."""
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            user = identity.active_user_named(session=session, username=username)
            assert user is not None
            principal = identity.principal_for(session=session, user=user)
            data = {
                "title": "Seeded incident",
                "became_aware_at": clock.now() - timedelta(hours=1),
                "rsit_class": "fraud",
                "rsit_type": "phishing",
            } | fields
            incident = incidents.report(
                session=session,
                principal=principal,
                data=IncidentReport.model_validate(data),
                channel=Channel.PORTAL,
            )
            ident, reference = incident.id, incident.reference
            session.commit()
    finally:
        engine.dispose()
    return ident, reference
