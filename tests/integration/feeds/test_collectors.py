"""Collectors against local servers, through the feed-source service: a watched folder, an
HTTP(S) URL (ETag: an unchanged report is not fetched again; TLS verified, a custom CA
trusted), and a real IMAP mailbox (mails marked seen only once their reports are stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import stix2  # type: ignore[import-untyped]  # no type information shipped
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.core.access import Principal
from certnet.core.errors import Invalid
from certnet.feeds import jobs as feeds_jobs
from certnet.feeds import sources
from certnet.feeds.models import Event, FeedRun
from certnet.feeds.source_models import FeedSource
from certnet.feeds.source_schemas import FeedSourceCreate
from tests.factories import Network
from tests.integration.feeds.collectors_support import (
    imap_server,
    report_server,
    self_signed,
)

SYSTEM = Principal.system("test")
MAPPING = """
[feed]
report_type = "partner-blocklist"
format = "csv"
[constants]
"classification.taxonomy" = "other"
"classification.type" = "blocklist"
[fields]
"source.ip" = { from = "ip", required = true }
"""


def bundle(*addresses: str) -> bytes:
    indicators = [
        stix2.Indicator(
            pattern=f"[ipv4-addr:value = '{a}']",
            pattern_type="stix",
            valid_from=datetime(2026, 11, 28, tzinfo=UTC),
            indicator_types=["malicious-activity"],
        )
        for a in addresses
    ]
    return str(stix2.Bundle(*indicators).serialize()).encode()


@pytest.fixture
def factory(session: Session, net: Network) -> sessionmaker[Session]:
    """Units of work inside the test's transaction: each commit is a savepoint."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def add(session: Session, **fields: object) -> FeedSource:
    return sources.add_source(
        session=session, principal=SYSTEM, data=FeedSourceCreate.model_validate(fields)
    )


def runs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FeedRun)) or 0


def test_folder_reports_are_ingested_once_and_moved(
    session: Session, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    mapping = tmp_path / "blocklist.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    add(
        session,
        name="drop",
        kind="folder",
        location=str(inbox),
        parser="mapping",
        mapping_path=str(mapping),
    )
    (inbox / "day1.csv").write_bytes(b"ip\n192.0.2.1\n192.0.2.2\nnot-an-ip\n")
    (inbox / "broken.csv").write_bytes(b"address\n192.0.2.9\n")
    (inbox / ".partial.csv").write_bytes(b"ip\n")  # still being written: left alone

    result = sources.collect(factory, name="drop")
    by_name = {r.report: r for r in result.reports}
    assert set(by_name) == {"day1.csv", "broken.csv"}
    day1 = by_name["day1.csv"].run
    assert day1 is not None
    assert (day1.rows, day1.stored, day1.quarantined) == (3, 2, 1)
    assert "missing column(s) ip" in (by_name["broken.csv"].error or "")
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".partial.csv"]
    assert (inbox / "done" / "day1.csv").exists()
    assert "missing column" in (inbox / "failed" / "broken.csv.reason").read_text()

    again = sources.collect(factory, name="drop")
    assert again.reports == []  # nothing new: ingested once
    assert runs(session) == 1
    source = sources.get_source(session=session, principal=SYSTEM, name="drop")
    session.refresh(source)
    assert source.last_collected_at is not None
    assert source.last_error is None


def test_http_report_is_not_fetched_again_while_unchanged(
    session: Session, factory: sessionmaker[Session]
) -> None:
    with report_server() as server:
        server.body = bundle("192.0.2.10", "192.0.2.11")
        add(
            session,
            name="partner",
            kind="http",
            location=server.url,
            parser="stix",
            secret_env="H3_TEST_FEED_TOKEN",
        )
        with pytest.MonkeyPatch.context() as env:
            env.setenv("H3_TEST_FEED_TOKEN", "tok-123")
            first = sources.collect(factory, name="partner")
            second = sources.collect(factory, name="partner")
            server.etag, server.body = '"v2"', bundle("192.0.2.12")
            third = sources.collect(factory, name="partner")
    (report,) = first.reports
    assert report.report == "indicators.json"
    assert report.run is not None
    assert report.run.stored == 2
    assert second.reports == []
    assert server.not_modified == 1
    assert server.requests[1]["If-None-Match"] == '"v1"'
    assert server.requests[0]["Authorization"] == "Bearer tok-123"
    (changed,) = third.reports
    assert changed.run is not None
    assert changed.run.stored == 1
    assert session.scalar(select(func.count()).select_from(Event)) == 3
    source = sources.get_source(session=session, principal=SYSTEM, name="partner")
    session.refresh(source)
    assert source.state == {"etag": '"v2"'}
    assert "tok-123" not in str(source.options) + str(source.state)  # the secret is not stored


def test_https_is_verified_and_a_custom_ca_is_trusted(
    session: Session, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    with report_server(tls=(cert, key)) as server:
        server.body = bundle("192.0.2.20")
        add(session, name="untrusted", kind="http", location=server.url, parser="stix")
        add(
            session,
            name="trusted",
            kind="http",
            location=server.url,
            parser="stix",
            options={"ca_bundle": str(cert)},
        )
        refused = sources.collect(factory, name="untrusted")
        fetched = sources.collect(factory, name="trusted")
        not_pem = tmp_path / "not.pem"
        not_pem.write_text("not a certificate\n")
        add(session, name="garbled", kind="http", location=server.url, parser="stix",
            options={"ca_bundle": str(not_pem)})  # fmt: skip
        garbled = sources.collect(factory, name="garbled")
    assert refused.reports == []
    assert "CERTIFICATE_VERIFY_FAILED" in (refused.error or "")
    assert garbled.reports == []
    assert (garbled.error or "").startswith("options.ca_bundle: cannot load the CA bundle")
    (report,) = fetched.reports
    assert report.run is not None
    assert report.run.stored == 1
    untrusted = sources.get_source(session=session, principal=SYSTEM, name="untrusted")
    session.refresh(untrusted)
    assert "CERTIFICATE_VERIFY_FAILED" in (untrusted.last_error or "")


def test_imap_attachments_of_matching_unseen_mails(
    session: Session, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with imap_server() as mailbox:
        monkeypatch.setenv("H3_TEST_IMAP_PASSWORD", mailbox.password)
        mailbox.deliver(
            subject="STIX daily 1",
            sender="feeds@partner.example",
            attachments={"a.json": bundle("192.0.2.30"), "b.json": bundle("192.0.2.31")},
        )
        mailbox.deliver(
            subject="STIX daily 2",
            sender="feeds@partner.example",
            attachments={"bad.json": b"{not json"},
        )
        mailbox.deliver(
            subject="Lunch",
            sender="friend@example.org",
            attachments={"menu.json": bundle("192.0.2.99")},
        )
        add(
            session,
            name="mailbox",
            kind="imap",
            location=mailbox.host,
            parser="stix",
            username=mailbox.user,
            secret_env="H3_TEST_IMAP_PASSWORD",
            options={
                "port": mailbox.port,
                "security": "plain",
                "subject": "STIX daily",
                "sender": "feeds@partner.example",
            },
        )
        result = sources.collect(factory, name="mailbox")
        seen = mailbox.seen()
        again = sources.collect(factory, name="mailbox")
    assert result.error is None
    assert sorted(r.report for r in result.reports) == ["a.json", "b.json", "bad.json"]
    assert "not JSON" in str(next(r.error for r in result.reports if r.report == "bad.json"))
    # Stored → seen; refused → left unseen (looked at again); not matching → untouched.
    assert seen == {"STIX daily 1": True, "STIX daily 2": False, "Lunch": False}
    assert [r.report for r in again.reports] == ["bad.json"]
    assert session.scalar(select(func.count()).select_from(Event)) == 2


def test_source_configuration_is_checked_and_audited(session: Session, net: Network) -> None:
    with pytest.raises(Invalid, match="unknown parser"):
        add(session, name="x", kind="folder", location="/srv/feeds", parser="nope")
    with pytest.raises(Invalid, match="http"):
        add(session, name="x", kind="http", location="ftp://x/y", parser="stix")
    with pytest.raises(Invalid, match="username and secret_env"):
        add(session, name="x", kind="imap", location="mail.example.pk", parser="stix")
    with pytest.raises(ValueError, match="environment variable"):
        FeedSourceCreate.model_validate(
            {"name": "x", "kind": "http", "location": "https://x", "secret_env": "hunter2!"}
        )
    add(session, name="one", kind="folder", location="/srv/feeds", parser="stix")
    with pytest.raises(Invalid, match="exists already"):
        add(session, name="one", kind="folder", location="/srv/feeds", parser="stix")
    analyst = net.principal(session, "national")
    assert [s.name for s in sources.list_sources(session=session, principal=analyst)] == ["one"]
    sources.remove_source(session=session, principal=analyst, name="one")
    assert sources.list_sources(session=session, principal=analyst) == []


def test_imap_starttls_is_verified(
    session: Session,
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    with imap_server(tls=(cert, key)) as mailbox:
        monkeypatch.setenv("H3_TEST_IMAP_PASSWORD", mailbox.password)
        mailbox.deliver(
            subject="STIX",
            sender="feeds@partner.example",
            attachments={"a.json": bundle("192.0.2.40")},
        )
        common = {
            "kind": "imap",
            "location": mailbox.host,
            "parser": "stix",
            "username": mailbox.user,
            "secret_env": "H3_TEST_IMAP_PASSWORD",
        }
        add(
            session,
            name="untrusted",
            **common,
            options={"port": mailbox.port, "security": "starttls"},
        )
        add(
            session,
            name="trusted",
            **common,
            options={"port": mailbox.port, "security": "starttls", "ca_bundle": str(cert)},
        )
        refused = sources.collect(factory, name="untrusted")
        fetched = sources.collect(factory, name="trusted")
        seen = mailbox.seen()
    assert refused.reports == []
    assert "CERTIFICATE_VERIFY_FAILED" in (refused.error or "")
    (report,) = fetched.reports
    assert report.run is not None
    assert report.run.stored == 1
    assert seen == {"STIX": True}


def test_collect_due_follows_schedules_and_records_unusable_sources(
    session: Session,
    factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("H3_TEST_UNSET", raising=False)
    folders = {}
    for name in ("locked", "open"):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        (folders[name] / "r.json").write_bytes(bundle(f"192.0.2.{len(name)}"))
    add(
        session,
        name="locked",
        kind="folder",
        location=str(folders["locked"]),
        parser="stix",
        secret_env="H3_TEST_UNSET",
    )
    add(
        session,
        name="open",
        kind="folder",
        location=str(folders["open"]),
        parser="stix",
        every_minutes=30,
    )

    feeds_jobs.collect_due(factory, Settings())

    locked = sources.get_source(session=session, principal=SYSTEM, name="locked")
    opened = sources.get_source(session=session, principal=SYSTEM, name="open")
    session.refresh(locked)
    session.refresh(opened)
    assert locked.last_error == "secret_env: environment variable H3_TEST_UNSET is not set"
    assert (folders["locked"] / "r.json").exists()  # nothing taken from it
    assert opened.last_error is None
    assert (folders["open"] / "done" / "r.json").exists()
    (folders["open"] / "s.json").write_bytes(bundle("192.0.2.77"))
    now = opened.last_collected_at
    assert now is not None
    assert sources.due_sources(session=session, now=now + timedelta(minutes=29)) == []
    due_later = sources.due_sources(session=session, now=now + timedelta(minutes=30))
    assert due_later == ["open"]  # every 30 minutes; "locked" every 60 (the default)
    feeds_jobs.collect_due(factory, Settings())  # not due yet: the new file waits
    assert (folders["open"] / "s.json").exists()


# The durable queue runs on PostgreSQL; embedded, sources are collected inline (above).
@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_on_the_durable_queue_each_due_source_is_a_job_of_its_own(
    session: Session,
    factory: sessionmaker[Session],
    db_engine: Engine,
    tmp_path: Path,
) -> None:
    for name in ("north", "south"):
        (tmp_path / name).mkdir()
        add(session, name=name, kind="folder", location=str(tmp_path / name), parser="stix")
    settings = Settings(database_url=db_engine.url.render_as_string(hide_password=False))
    query = text(
        "SELECT args->>'source', lock, queueing_lock FROM procrastinate.procrastinate_jobs "
        "WHERE task_name = 'feeds.collect_source' AND status = 'todo' ORDER BY 1"
    )
    try:
        feeds_jobs.collect_due(factory, settings)
        feeds_jobs.collect_due(factory, settings)  # the same sources, still waiting: no twins
        with db_engine.connect() as connection:
            queued = [tuple(row) for row in connection.execute(query)]
    finally:
        with db_engine.begin() as connection:
            connection.execute(
                text(
                    "DELETE FROM procrastinate.procrastinate_jobs "
                    "WHERE task_name = 'feeds.collect_source'"
                )
            )
    assert queued == [
        ("north", "feed-source:north", "feed-source:north"),
        ("south", "feed-source:south", "feed-source:south"),
    ]
    assert not (tmp_path / "north" / "done").exists()  # queued, not collected in place
