"""Demo mails for the intake: one accepted from a known contact, and one quarantined for each
common reason, so that the console's mail intake page shows what it is for. Every mail goes
through the intake itself (``receive``), exactly as one arriving over SMTP would; running the
seed again changes nothing (a quarantined mail is the same entry, an accepted one is skipped)."""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core.access import Principal
from certnet.incidents.intake import service
from certnet.incidents.intake.models import QuarantinedMail
from certnet.incidents.models import Incident

MARKER = "X-Certnet-Demo"


def _mail(sender: str, subject: str, body: str, when: datetime, serial: int) -> EmailMessage:
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = sender
    mail["To"] = "incidents@pkcert.example.pk"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(when)
    mail["Message-ID"] = f"<demo-{serial}@certnet.example>"
    mail[MARKER] = "1"
    mail.set_content(body)
    return mail


def seed(*, session: Session, principal: Principal, now: datetime) -> str:
    """Mails through the intake at the National CERT (the top of the reporting line)."""
    top = constituency.top_cert_id(session=session)
    if top is None:
        return "intake: no CERT, nothing seeded"
    contact = next(
        (
            c
            for org in constituency.list_organisations(
                session=session, principal=principal, limit=20
            ).items
            for c in constituency.list_contacts(
                session=session, principal=principal, organisation_id=org.id
            )
        ),
        None,
    )
    mails = [
        _mail(
            "analyst@partner-cert.example.org",
            "Heads-up: credentials of one of your banks on a paste site",
            "We found 40 customer credentials posted today.\nType: data-leak\n",
            now,
            1,
        ),
        _mail("newsletter@vendor.example.com", "Our spring offers", "\n", now, 2),
        _mail(
            contact.email if contact else "soc@example.pk",
            "Suspicious invoice attachment",
            "See the attached invoice that our staff received.\nType: phishing\n",
            now,
            3,
        ),
    ]
    mails[2].add_attachment(b"MZ\x90\x00", maintype="application", subtype="x-msdownload",
                            filename="invoice.exe")  # fmt: skip
    if contact is not None:
        mails.append(
            _mail(
                contact.email,
                "Website defacement",
                "Our public website shows a defacement since this morning.\n"
                "Type: system-compromise\nSeverity: high\nObservables:\n"
                "www.defaced-demo.example.pk\n",
                now,
                4,
            )
        )
    accepted = 0
    for mail in mails:
        raw = mail.as_bytes()
        title = str(mail["Subject"])
        seeded = select(QuarantinedMail.id).where(QuarantinedMail.message_id == mail["Message-ID"])
        if session.scalar(select(Incident.id).where(Incident.title == title).limit(1)) or (
            session.scalar(seeded.limit(1))
        ):
            continue
        outcome = service.receive(
            session=session,
            raw=raw,
            envelope_from=str(mail["From"]),
            recipients=["incidents@pkcert.example.pk"],
            receiving_cert_id=top,
            now=now,
        )
        accepted += outcome.accepted
    held = len(list(session.scalars(select(QuarantinedMail.id))))
    return f"intake: {accepted} mail(s) accepted, {held} held in the quarantine"
