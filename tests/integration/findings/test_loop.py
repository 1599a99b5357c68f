"""The notification loop replayed over two (and three) days, through real SMTP: a day-1
report opens findings, notifications reach a local SMTP server (subject, ticket, language,
CSV), an organisation answers, a day-2 report without some hosts verifies them fixed, and a
host that comes back is reopened. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certnet.constituency import service as constituency
from certnet.core import audit
from certnet.findings import service
from certnet.findings.models import Finding, FindingHistory, FindingState, Language
from certnet.findings.schemas import PreferenceUpdate
from certnet.notifications import service as outbox
from tests.conftest import SmtpSink
from tests.factories import Network
from tests.integration.findings.conftest import DAY1, DAY2, DAY3, Ingest

BANK = [("203.0.113.10", 80), ("203.0.113.11", 8080), ("203.0.113.12", 443)]
TELCO = [("198.51.100.5", 80), ("198.51.100.6", 80)]
PUNJAB = [("192.0.2.10", 80)]


def _findings(session: Session) -> dict[str, Finding]:
    return {f.host: f for f in session.scalars(select(Finding))}


def _attachment(mail: EmailMessage) -> tuple[str, list[dict[str, str]]]:
    parts = [p for p in mail.iter_attachments() if p.get_content_type() == "text/csv"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return parts[0].get_filename() or "", list(
        csv.DictReader(io.StringIO(payload.decode("utf-8-sig")))
    )


def _body(mail: EmailMessage, subtype: str) -> str:
    part = mail.get_body(preferencelist=(subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def test_two_day_replay_notifies_by_smtp_and_verifies_fixes(
    session: Session,
    net: Network,
    ingest: Ingest,
    smtp_sink: SmtpSink,
    bound_factory: sessionmaker[Session],
) -> None:
    # Telco One's security contact reads Urdu, as plain text plus HTML, with the CSV.
    contact = constituency.list_contacts(
        session=session,
        principal=net.principal(session, "pta"),
        organisation_id=net.orgs["Telco One"].id,
    )[0]
    service.set_preference(
        session=session,
        principal=net.principal(session, "telco"),
        contact_id=contact.id,
        data=PreferenceUpdate(language=Language.URDU),
    )

    # Day 1: the report opens one finding per host.
    day1 = ingest(BANK + TELCO + PUNJAB, DAY1)
    assert day1.stored == 6
    found = _findings(session)
    assert set(found) == {h for h, _ in BANK + TELCO + PUNJAB}
    assert {f.state for f in found.values()} == {FindingState.OPEN}
    bank10 = found["203.0.113.10"]
    assert bank10.organisation_id == net.orgs["First Bank"].id
    assert (bank10.source, bank10.report_type, bank10.port) == ("shadowserver", "scan_http", 80)
    assert bank10.issue == "accessible-http"

    # Notify: one notification per organisation, one mail per contact, through real SMTP.
    done = service.notify_due(session=session, now=DAY1 + timedelta(hours=2))
    assert (done.notifications, done.findings) == (3, 6)
    assert service.notify_due(session=session, now=DAY1 + timedelta(hours=3)).notifications == 0
    delivered = outbox.deliver_due(bound_factory, smtp_sink.settings())
    assert delivered.sent == 3
    mails = {m["To"]: m for m in smtp_sink.messages}
    assert set(mails) == {
        "soc@first-bank.example.pk",
        "soc@telco-one.example.pk",
        "soc@punjab-it-board.example.pk",
    }
    bank_mail = mails["soc@first-bank.example.pk"]
    bank_ticket = _findings(session)["203.0.113.10"].last_notification_id
    notification = service.list_notifications(
        session=session,
        principal=net.principal(session, "national"),
        organisation_id=net.orgs["First Bank"].id,
    ).items[0]
    assert notification.id == bank_ticket
    ticket = notification.ticket
    assert ticket.startswith("FND-")
    assert bank_mail["Subject"] == (f"[{ticket}] Accessible HTTP services: 3 issues at First Bank")
    text = _body(bank_mail, "plain")
    assert f"Ticket: {ticket}" in text
    assert "203.0.113.11:8080" in text
    assert "Dear First Bank security team" in text
    filename, rows = _attachment(bank_mail)
    assert filename == f"{ticket}-scan_http.csv"
    assert sorted((r["source_ip"], r["source_port"]) for r in rows) == sorted(
        (h, str(p)) for h, p in BANK
    )
    assert {r["classification_identifier"] for r in rows} == {"accessible-http"}

    urdu = mails["soc@telco-one.example.pk"]
    assert "مسائل" in urdu["Subject"]
    assert "Telco One" in urdu["Subject"]
    assert "ٹکٹ نمبر" in _body(urdu, "plain")
    html = _body(urdu, "html")
    assert 'lang="ur"' in html
    assert 'dir="rtl"' in html
    assert _attachment(urdu)[1][0]["source_ip"].startswith("198.51.100.")

    assert {f.state for f in _findings(session).values()} == {FindingState.NOTIFIED}

    # First Bank answers: one host acknowledged, one marked fixed.
    bank_admin = net.principal(session, "bankadmin")
    found = _findings(session)
    service.answer(
        session=session,
        principal=bank_admin,
        finding_id=found["203.0.113.10"].id,
        action="acknowledge",
    )
    service.answer(
        session=session,
        principal=bank_admin,
        finding_id=found["203.0.113.11"].id,
        action="fixed",
        note="Closed port 8080 on the firewall",
    )

    # Day 2: .11 and .12 of the bank and .6 of Telco are gone; the rest are still there.
    day2 = ingest([BANK[0], TELCO[0], PUNJAB[0]], DAY2)
    assert day2.rows == 3
    found = _findings(session)
    assert found["203.0.113.10"].state is FindingState.ACKNOWLEDGED
    assert found["198.51.100.5"].state is FindingState.NOTIFIED
    assert found["192.0.2.10"].state is FindingState.NOTIFIED
    assert found["192.0.2.10"].sightings == 2
    for host in ("203.0.113.11", "203.0.113.12", "198.51.100.6"):
        assert found[host].state is FindingState.VERIFIED, host
    assert found["203.0.113.11"].verified_after_claim is True
    assert found["203.0.113.12"].verified_after_claim is False

    # Day 3: .12 is back: reopened, and notified again.
    ingest([BANK[0], BANK[2], TELCO[0], PUNJAB[0]], DAY3)
    found = _findings(session)
    reopened = found["203.0.113.12"]
    assert reopened.state is FindingState.REOPENED
    assert reopened.reopen_count == 1
    assert found["203.0.113.11"].state is FindingState.VERIFIED
    again = service.notify_due(session=session, now=DAY3 + timedelta(hours=2))
    assert (again.notifications, again.findings) == (1, 1)
    assert outbox.deliver_due(bound_factory, smtp_sink.settings()).sent == 1
    assert smtp_sink.messages[-1]["Subject"].endswith("1 issue at First Bank")

    # Every transition is in the finding's history, and the audit chain verifies.
    states = [
        (h.from_state, h.to_state)
        for h in session.scalars(
            select(FindingHistory)
            .where(FindingHistory.finding_id == reopened.id)
            .order_by(FindingHistory.id)
        )
    ]
    assert states == [
        (None, FindingState.OPEN),
        (FindingState.OPEN, FindingState.NOTIFIED),
        (FindingState.NOTIFIED, FindingState.VERIFIED),
        (FindingState.VERIFIED, FindingState.REOPENED),
        (FindingState.REOPENED, FindingState.NOTIFIED),
    ]
    assert audit.verify(session=session).ok


def test_ingesting_the_same_report_again_changes_no_finding(
    session: Session, net: Network, ingest: Ingest
) -> None:
    ingest(BANK, DAY1)
    before = {f.host: (f.state, f.sightings, f.event_count) for f in _findings(session).values()}
    again = ingest(BANK, DAY1)
    assert again.already_ingested
    run = service.update_from_run(session=session, run_id=again.id)
    assert (run.opened, run.seen_again, run.reopened, run.verified) == (0, 0, 0, 0)
    after = {f.host: (f.state, f.sightings, f.event_count) for f in _findings(session).values()}
    assert after == before
