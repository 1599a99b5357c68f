"""The e-mail intake over a real SMTP conversation (smtplib → the intake's aiosmtpd server),
on SQLite and PostgreSQL: a report mail becomes an incident for the sender's organisation, and
every mail that cannot be understood is kept in the quarantine with its reason — the reply code
telling the sender which."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from certnet.core import audit
from certnet.core.errors import Conflict, Forbidden, Invalid, NotFound
from certnet.core.models import AuditEntry
from certnet.incidents import service as incidents
from certnet.incidents.intake import service as intake
from certnet.incidents.intake.models import QuarantinedMail, QuarantineReason, QuarantineState
from certnet.incidents.intake.smtp import TEMPORARY_FAILURE, IntakeHandler
from certnet.incidents.models import Channel, Incident
from tests.factories import Network
from tests.integration.incidents_intake.conftest import (
    LIMITS,
    IntakeServer,
    report_mail,
    running_intake,
)

TELCO_USER = "telco@example.pk"  # the Telco One reporter's address (tests.factories)
TELCO_CONTACT = "soc@telco-one.example.pk"  # Telco One's security contact


def _incidents(session: Session) -> int:
    return session.scalar(select(func.count(Incident.id))) or 0


def _only_quarantined(session: Session) -> QuarantinedMail:
    entries = list(session.scalars(select(QuarantinedMail)))
    assert len(entries) == 1
    return entries[0]


def test_a_report_mail_from_a_constituent_user_becomes_an_incident(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    mail = report_mail(
        f"Telco Reporter <{TELCO_USER}>",
        subject="Phishing kit hosted on our CDN",
        body="We found a phishing kit.\n\nType: phishing\nBecame aware: 2026-11-28 10:00 +05:00\n"
        "TLP: AMBER\nObservables:\n198.51.100.23\nlogin-firstbank.example.com\n",
        attachments=(("headers.txt", "text/plain", b"Received: from mx.example\n"),),
    )
    reply = intake_server.send(mail, sender=TELCO_USER)

    assert reply.code == 250, reply.text
    incident = session.scalars(select(Incident)).one()
    assert f"Accepted as incident {incident.reference}" in reply.text
    assert incident.organisation_id == net.orgs["Telco One"].id
    assert incident.owner_cert_id == net.certs["ptacert"].id
    assert incident.channel is Channel.EMAIL
    assert (incident.rsit_class, incident.rsit_type) == ("fraud", "phishing")
    assert incident.reporter_email == TELCO_USER
    assert incident.title == "Phishing kit hosted on our CDN"
    telco = net.principal(session, "telco")
    values = {
        o.value
        for o in incidents.observables(session=session, principal=telco, incident_id=incident.id)
    }
    assert values == {"198.51.100.23", "login-firstbank.example.com"}
    files = incidents.evidence(session=session, principal=telco, incident_id=incident.id)
    assert [(f.filename, f.size) for f in files] == [("headers.txt", 26)]
    assert session.scalar(select(func.count(QuarantinedMail.id))) == 0


def test_a_report_mail_from_a_listed_contact_is_accepted(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    reply = intake_server.send(
        report_mail(TELCO_CONTACT, body="Our DNS is under DDoS.\nType: ddos\n"),
        sender=TELCO_CONTACT,
    )
    assert reply.code == 250, reply.text
    incident = session.scalars(select(Incident)).one()
    assert incident.organisation_id == net.orgs["Telco One"].id
    assert incident.rsit_type == "ddos"


def test_an_unknown_sender_is_quarantined_at_the_receiving_cert(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    stranger = "someone@elsewhere.example"
    reply = intake_server.send(report_mail(stranger), sender=stranger)

    assert reply.code == 550
    assert "5.7.1" in reply.text
    assert "neither a user nor a contact" in reply.text
    entry = _only_quarantined(session)
    assert f"quarantine #{entry.id}" in reply.text
    assert entry.reason is QuarantineReason.UNKNOWN_SENDER
    assert entry.owner_cert_id == net.certs["pkcert"].id
    assert entry.organisation_id is None
    assert entry.header_from == stranger
    assert entry.subject == "Phishing against our customers"
    assert entry.raw.startswith(b"From: ")
    assert entry.raw_size == len(entry.raw)
    assert _incidents(session) == 0
    # Audited, without the raw bytes.
    logged = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "intake.quarantine")
    ).one()
    assert logged.object_id == str(entry.id)
    assert "raw" not in (logged.after or {})
    assert audit.verify(session=session).ok


@pytest.mark.parametrize(
    ("raw", "code", "reason"),
    [
        (
            f"From: {TELCO_USER}\r\nSubject: nothing to say\r\n\r\n\r\n".encode(),
            554,
            QuarantineReason.NO_BODY,
        ),
        (
            f"From: {TELCO_USER}\r\nSubject: cut\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="B"\r\n\r\nthe parts never start\r\n'.encode(),
            554,
            QuarantineReason.BROKEN_MIME,
        ),
    ],
    ids=["no body", "broken MIME"],
)
def test_an_unreadable_mail_from_a_known_sender_goes_to_its_cert(
    session: Session,
    net: Network,
    intake_server: IntakeServer,
    raw: bytes,
    code: int,
    reason: QuarantineReason,
) -> None:
    reply = intake_server.send(raw, sender=TELCO_USER)
    assert reply.code == code, reply.text
    entry = _only_quarantined(session)
    assert entry.reason is reason
    # The sender is known: the quarantine sits with Telco One's CERT, not the receiving one.
    assert entry.owner_cert_id == net.certs["ptacert"].id
    assert entry.organisation_id == net.orgs["Telco One"].id
    assert _incidents(session) == 0


def test_a_disallowed_attachment_is_quarantined_with_its_name(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    mail = report_mail(
        TELCO_USER, attachments=(("invoice.exe", "application/x-msdownload", b"MZ"),)
    )
    reply = intake_server.send(mail, sender=TELCO_USER)
    assert reply.code == 554
    assert "5.6.1" in reply.text
    assert "invoice.exe" in reply.text
    assert _only_quarantined(session).reason is QuarantineReason.DISALLOWED_ATTACHMENT


def test_an_oversize_mail_is_kept_cut_to_the_raw_limit(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    mail = report_mail(TELCO_USER, body="x" * 70 + "\n" + ("y" * 76 + "\n") * 1000)
    reply = intake_server.send(mail, sender=TELCO_USER)
    assert reply.code == 552
    assert "5.3.4" in reply.text
    entry = _only_quarantined(session)
    assert entry.reason is QuarantineReason.OVERSIZE
    assert entry.raw_size > LIMITS.max_message_bytes
    assert len(entry.raw) == LIMITS.keep_raw_bytes
    assert entry.truncated
    with pytest.raises(Invalid) as caught:
        intake.release(
            session=session,
            principal=net.principal(session, "pta"),
            quarantine_id=entry.id,
            organisation_id=net.orgs["Telco One"].id,
        )
    assert caught.value.errors[0].field == "raw"


def test_a_report_the_rules_refuse_is_quarantined_and_nothing_is_half_written(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    mail = report_mail(TELCO_USER, body="Type: phishng\nObservables:\n198.51.100.23\n")
    reply = intake_server.send(mail, sender=TELCO_USER)
    assert reply.code == 554
    assert "Type" in reply.text
    assert "phishng" in reply.text
    entry = _only_quarantined(session)
    assert entry.reason is QuarantineReason.REFUSED
    assert _incidents(session) == 0


def test_the_same_mail_twice_is_one_quarantined_entry(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    raw = report_mail("nobody@elsewhere.example").as_bytes()
    first = intake_server.send(raw, sender="nobody@elsewhere.example")
    second = intake_server.send(raw, sender="nobody@elsewhere.example")
    assert first.code == second.code == 550
    assert _only_quarantined(session).id > 0


def test_a_database_failure_asks_the_sender_to_retry(net: Network) -> None:
    def broken() -> Session:
        raise OperationalError("connect", {}, Exception("the database is down"))

    handler = IntakeHandler(session_factory=broken, receiving_cert_id=1, limits=LIMITS)
    with running_intake(handler) as server:
        reply = server.send(report_mail(TELCO_USER), sender=TELCO_USER)
    assert reply.code == 451
    assert TEMPORARY_FAILURE.endswith(reply.text)


def test_release_after_assigning_the_organisation(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    forwarder = "duty@partner-cert.example"
    body = "A customer of First Bank forwarded this.\nType: phishing\nObservables:\n203.0.113.9\n"
    reply = intake_server.send(report_mail(forwarder, body=body), sender=forwarder)
    assert reply.code == 550
    entry = _only_quarantined(session)
    national = net.principal(session, "national")

    with pytest.raises(Invalid) as missing:
        intake.release(session=session, principal=national, quarantine_id=entry.id)
    assert missing.value.errors[0].field == "organisation_id"

    incident = intake.release(
        session=session,
        principal=national,
        quarantine_id=entry.id,
        organisation_id=net.orgs["First Bank"].id,
    )
    assert incident.organisation_id == net.orgs["First Bank"].id
    assert incident.channel is Channel.EMAIL
    assert incident.reporter_email == forwarder
    assert entry.state is QuarantineState.RELEASED
    assert entry.incident_id == incident.id
    assert entry.decided_by == "national"
    with pytest.raises(Conflict):
        intake.release(session=session, principal=national, quarantine_id=entry.id)
    actions = set(
        session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "intake_quarantine")
        )
    )
    assert actions == {"intake.quarantine", "intake.release"}


def test_dismiss_needs_a_note_and_keeps_the_mail(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    intake_server.send(report_mail("spam@elsewhere.example"), sender="spam@elsewhere.example")
    entry = _only_quarantined(session)
    national = net.principal(session, "national")
    with pytest.raises(Invalid) as caught:
        intake.dismiss(session=session, principal=national, quarantine_id=entry.id, note=" ")
    assert caught.value.errors[0].field == "note"
    intake.dismiss(session=session, principal=national, quarantine_id=entry.id, note="spam")
    assert entry.state is QuarantineState.DISMISSED
    assert entry.note == "spam"
    held = intake.list_quarantine(session=session, principal=national)
    assert held.items == []
    kept = intake.list_quarantine(session=session, principal=national, state=None)
    assert [e.id for e in kept.items] == [entry.id]


def test_the_quarantine_is_visible_to_the_receiving_cert_only(
    session: Session, net: Network, intake_server: IntakeServer
) -> None:
    # One at the National CERT (unknown sender), one at the telecom CERT (known sender).
    intake_server.send(report_mail("x@elsewhere.example"), sender="x@elsewhere.example")
    intake_server.send(
        report_mail(TELCO_USER, attachments=(("a.exe", "application/x-msdownload", b"MZ"),)),
        sender=TELCO_USER,
    )
    national_entry, telco_entry = sorted(
        session.scalars(select(QuarantinedMail)), key=lambda e: e.id
    )

    def seen(username: str) -> set[int]:
        page = intake.list_quarantine(
            session=session, principal=net.principal(session, username), state=None
        )
        return {e.id for e in page.items}

    assert seen("national") == {national_entry.id, telco_entry.id}
    assert seen("pta") == {telco_entry.id}
    assert seen("sbp") == set()
    assert seen("telco") == set()  # not even the sender's own organisation
    assert intake.count_held(session=session, principal=net.principal(session, "pta")) == 1
    with pytest.raises(NotFound):
        intake.get_quarantined(
            session=session, principal=net.principal(session, "sbp"), quarantine_id=telco_entry.id
        )
    # Seeing is not settling: an auditor may read, not release.
    with pytest.raises(Forbidden) as refused:
        intake.dismiss(
            session=session,
            principal=net.principal(session, "auditor"),
            quarantine_id=national_entry.id,
            note="no",
        )
    assert isinstance(refused.value, Forbidden)
