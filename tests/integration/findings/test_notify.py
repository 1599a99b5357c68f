"""What shapes notifications: contact preferences (language, format, CSV, opt-outs), each
organisation's interval, and organisations with nobody to tell; and which runs may verify."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.constituency import service as constituency
from certnet.core.errors import Forbidden, Invalid, NotFound
from certnet.feeds import service as feeds
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.findings import jobs, service
from certnet.findings.models import Finding, FindingState, Interval, Language, MailFormat
from certnet.findings.schemas import PreferenceUpdate
from certnet.notifications.models import OutboxMessage
from tests.factories import Network
from tests.integration.findings.conftest import DAY1, DAY2, Ingest, scan_http

BANK = [("203.0.113.10", 80), ("203.0.113.11", 8080)]
TELCO = [("198.51.100.5", 80)]


def _contact_id(session: Session, net: Network, org: str) -> int:
    contacts = constituency.list_contacts(
        session=session,
        principal=net.principal(session, "national"),
        organisation_id=net.orgs[org].id,
    )
    return contacts[0].id


def _messages(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_preferences_choose_language_format_attachment_and_opt_out(
    session: Session, net: Network, ingest: Ingest
) -> None:
    bank = _contact_id(session, net, "First Bank")
    telco = _contact_id(session, net, "Telco One")
    admin = net.principal(session, "bankadmin")
    assert (
        service.get_preference(session=session, principal=admin, contact_id=bank).language
        is Language.ENGLISH
    )
    service.set_preference(
        session=session,
        principal=admin,
        contact_id=bank,
        data=PreferenceUpdate(
            language=Language.URDU, mail_format=MailFormat.TEXT, attach_csv=False
        ),
    )
    service.set_preference(
        session=session,
        principal=net.principal(session, "pta"),
        contact_id=telco,
        data=PreferenceUpdate(opted_out=["scan_http"]),
    )
    # A constituent cannot set another organisation's contact's preferences.
    with pytest.raises(NotFound):
        service.set_preference(
            session=session, principal=admin, contact_id=telco, data=PreferenceUpdate()
        )
    with pytest.raises(Invalid) as bad:
        service.set_preference(
            session=session,
            principal=admin,
            contact_id=bank,
            data=PreferenceUpdate(opted_out=["x" * 65]),
        )
    assert bad.value.errors[0].field == "opted_out[0]"

    ingest(BANK + TELCO, DAY1)
    done = service.notify_due(session=session, now=DAY1 + timedelta(hours=1))
    assert (done.notifications, done.no_recipient) == (1, 1)
    [message] = _messages(session)
    assert message.recipients == ["soc@first-bank.example.pk"]
    assert message.html is None
    assert message.attachments == []
    assert "ٹکٹ نمبر" in message.text
    assert "CSV" not in message.text
    telco_finding = session.scalar(select(Finding).where(Finding.host == "198.51.100.5"))
    assert telco_finding is not None
    assert telco_finding.state is FindingState.OPEN


def test_intervals_decide_when_the_next_notification_is_due(
    session: Session, net: Network, ingest: Ingest
) -> None:
    national = net.principal(session, "national")
    service.set_interval(
        session=session,
        principal=national,
        organisation_id=net.orgs["First Bank"].id,
        interval=Interval.WEEKLY,
    )
    with pytest.raises(Forbidden):
        service.set_interval(
            session=session,
            principal=net.principal(session, "bankadmin"),
            organisation_id=net.orgs["First Bank"].id,
            interval=Interval.IMMEDIATE,
        )
    assert (
        service.get_interval(
            session=session, principal=national, organisation_id=net.orgs["Telco One"].id
        )
        is Interval.DAILY
    )
    ingest(BANK[:1] + TELCO, DAY1)
    monday = DAY2  # 2026-11-02 starts ISO week 45
    first = service.notify_due(session=session, now=monday)
    assert first.notifications == 2
    # New hosts the next day: Telco (daily) is due again, First Bank (weekly) waits.
    ingest(BANK + TELCO + [("198.51.100.9", 443)], DAY2)
    tuesday = monday + timedelta(days=1)
    second = service.notify_due(session=session, now=tuesday)
    assert (second.notifications, second.waiting) == (1, 1)
    assert service.notify_due(session=session, now=monday + timedelta(days=7)).notifications == 1
    periods = {
        n.period for n in service.list_notifications(session=session, principal=national).items
    }
    assert periods == {"2026-W45", "2026-W46", "2026-11-02", "2026-11-03"}


def test_a_run_with_quarantined_rows_or_of_a_lower_cert_verifies_only_what_it_can(
    session: Session, net: Network, ingest: Ingest, parser: ShadowserverParser
) -> None:
    ingest(BANK + TELCO, DAY1)
    # A day-2 report with a broken row proves no absence: nothing is verified.
    broken = scan_http(BANK[:1], DAY2) + b"2026-11-02 08:00:00,info,999.1.1.1,tcp,80\n"
    run = feeds.ingest(
        session=session,
        principal=net.principal(session, "national"),
        parser=parser,
        stream=io.BytesIO(broken),
        filename="2026-11-02-scan_http-pk-geo.csv",
    )
    assert run.quarantined == 1
    states = {f.host: f.state for f in session.scalars(select(Finding))}
    assert set(states.values()) == {FindingState.OPEN}
    # The banking CERT's own report covers its constituency only: Telco's finding stays.
    sbp = feeds.ingest(
        session=session,
        principal=net.principal(session, "sbp"),
        parser=parser,
        stream=io.BytesIO(scan_http(BANK[:1], DAY2 + timedelta(hours=1))),
        filename="2026-11-02-scan_http-sbp.csv",
    )
    assert sbp.quarantined == 0
    states = {f.host: f.state for f in session.scalars(select(Finding))}
    assert states == {
        "203.0.113.10": FindingState.OPEN,
        "203.0.113.11": FindingState.VERIFIED,
        "198.51.100.5": FindingState.OPEN,
    }


def test_history_and_notifications_follow_the_access_policy(
    session: Session, net: Network, ingest: Ingest
) -> None:
    ingest(BANK + TELCO, DAY1)
    service.notify_due(session=session, now=DAY1)
    telco = net.principal(session, "telco")
    seen = service.list_notifications(session=session, principal=telco).items
    assert [n.organisation_id for n in seen] == [net.orgs["Telco One"].id]
    bank_finding = session.scalar(select(Finding).where(Finding.host == "203.0.113.10"))
    assert bank_finding is not None
    with pytest.raises(NotFound):
        service.history(session=session, principal=telco, finding_id=bank_finding.id)
    pta = net.principal(session, "pta")  # the telecom CERT does not see the bank's findings
    assert {f.host for f in service.list_findings(session=session, principal=pta).items} == {
        "198.51.100.5"
    }


def test_the_notify_job_commits_in_its_own_unit_of_work(
    session: Session, net: Network, ingest: Ingest, bound_factory: sessionmaker[Session]
) -> None:
    ingest(BANK + TELCO, DAY1)
    done = jobs.notify(bound_factory, Settings())
    assert done["notifications"] == 2
    assert done["findings"] == 3
    assert jobs.notify(bound_factory, Settings())["notifications"] == 0
    assert [job.name for job in jobs.JOBS] == ["findings.notify"]
    states = {f.state for f in session.scalars(select(Finding))}
    assert states == {FindingState.NOTIFIED}
