"""Test fixtures: every storage test runs on SQLite and on PostgreSQL.

One engine per backend per run, migrated with Alembic (so migrations are exercised too); each
test runs in a transaction that is rolled back at the end (services flush, tests never commit).

PostgreSQL comes from ``CERTNET_TEST_POSTGRES_URL``. In CI (``CI`` set) or with
``CERTNET_REQUIRE_POSTGRES=1``, an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings, get_settings
from certnet.db import migrate
from certnet.db.session import default_engine, make_engine
from certnet.deps import get_session
from certnet.identity import passwords
from certnet.main import create_app
from certnet.profiles import service as profiles

POSTGRES_URL = os.environ.get("CERTNET_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = bool(os.environ.get("CI")) or os.environ.get("CERTNET_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_engine() -> Engine:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("CERTNET_TEST_POSTGRES_URL is not set, and PostgreSQL tests are required")
        pytest.skip("CERTNET_TEST_POSTGRES_URL is not set")
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001 — any connection failure decides skip or fail
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return engine


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with minimal cost: the same algorithm and code path, a fraction of the time.
    (Production keeps argon2-cffi's RFC 9106 defaults; a unit test checks those.)"""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fresh settings for each test; nothing from the developer's environment leaks in."""
    for name in list(os.environ):
        if name.startswith("CERTNET_") and name not in (
            "CERTNET_TEST_POSTGRES_URL",
            "CERTNET_REQUIRE_POSTGRES",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CERTNET_LOG_JSON", "true")
    get_settings.cache_clear()
    profiles.load.cache_clear()


@pytest.fixture(scope="session", params=BACKENDS)
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated engine for each backend."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "certnet.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = _postgres_engine()
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test."""
    connection = db_engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(db_engine: Engine, session: Session) -> Iterator[TestClient]:
    """The app over the test's session: what a request commits stays inside the test."""
    app = create_app(Settings(log_json=True), engine=db_engine)

    def _session() -> Iterator[Session]:
        # Each request is a savepoint: committed when it succeeds, rolled back when it fails,
        # as the real unit of work does, while the test's own data stays.
        request_scope = session.begin_nested()
        try:
            yield session
            request_scope.commit()
        except BaseException:
            request_scope.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite file that CLI commands open themselves (``CERTNET_DATABASE_URL``):
    what they commit stays in this test's own file."""
    url = f"sqlite:///{tmp_path / 'certnet.sqlite3'}"
    monkeypatch.setenv("CERTNET_DATABASE_URL", url)
    get_settings.cache_clear()
    default_engine.cache_clear()
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    default_engine().dispose()
    default_engine.cache_clear()


@pytest.fixture
def backend(db_engine: Engine) -> str:
    """``sqlite`` or ``postgresql``: which engine this run of the test uses."""
    return db_engine.dialect.name


@pytest.fixture
def bound_factory(session: Session) -> sessionmaker[Session]:
    """A session factory for code that opens its own units of work (jobs, the outbox sender):
    its sessions join the test's transaction through savepoints, so they see the test's data
    and everything they commit is rolled back with the test."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@dataclass
class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Addresses the server refuses with 550 (to test permanent failures).
    refuse: set[str] = field(default_factory=set)

    def settings(self, **overrides: Any) -> Settings:
        """Settings whose SMTP relay is this server."""
        fields: dict[str, Any] = {"smtp_host": self.host, "smtp_port": self.port, **overrides}
        return Settings(**fields)


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.sink.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        parsed = BytesParser(policy=email_policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        self.sink.messages.append(parsed)
        self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real local SMTP server (aiosmtpd) for the test; ``.messages`` holds what arrived."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink(host="127.0.0.1", port=port)
    controller = Controller(_SinkHandler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
