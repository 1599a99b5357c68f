"""The intake's demo mails: through the intake itself, and idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core import clock
from certnet.incidents.intake import demo
from certnet.incidents.intake.models import QuarantinedMail, QuarantineReason
from certnet.incidents.models import Channel, Incident
from tests.factories import SYSTEM, Network


def test_demo_mails_fill_the_quarantine_once(session: Session, net: Network) -> None:
    now = clock.now()
    summary = demo.seed(session=session, principal=SYSTEM, now=now)
    assert summary == "intake: 1 mail(s) accepted, 3 held in the quarantine"
    reasons = set(session.scalars(select(QuarantinedMail.reason)))
    assert reasons == {
        QuarantineReason.UNKNOWN_SENDER,
        QuarantineReason.NO_BODY,
        QuarantineReason.DISALLOWED_ATTACHMENT,
    }
    accepted = session.scalars(select(Incident).where(Incident.channel == Channel.EMAIL)).one()
    assert accepted.title == "Website defacement"

    again = demo.seed(session=session, principal=SYSTEM, now=now)
    assert again == "intake: 0 mail(s) accepted, 3 held in the quarantine"
    assert session.scalar(select(func.count(Incident.id))) == 1
