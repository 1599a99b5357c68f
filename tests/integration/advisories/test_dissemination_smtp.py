"""Publishing reaches exactly the matching organisations, by real SMTP through the outbox."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from certnet.advisories import csaf, service
from certnet.advisories.jobs import JOBS, remind_overdue
from certnet.advisories.schemas import AdvisoryCreate, PublishRequest
from certnet.config import get_settings
from certnet.core import clock
from certnet.notifications import service as outbox
from tests.conftest import SmtpSink
from tests.factories import Network
from tests.integration.advisories.conftest import advisory_data
from tests.unit.advisories.csaf_judge import csaf_errors


def test_publish_mails_exactly_the_matching_organisations(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    national = net.principal(session, "national")
    advisory = service.create(
        session=session,
        principal=national,
        data=AdvisoryCreate.model_validate(advisory_data(tlp="AMBER+STRICT")),
    )
    service.publish(
        session=session,
        principal=national,
        advisory_id=advisory.id,
        data=PublishRequest(),
    )
    session.flush()

    report = outbox.deliver_due(bound_factory, smtp_sink.settings(smtp_from="pkcert@example.pk"))
    again = outbox.deliver_due(bound_factory, smtp_sink.settings(smtp_from="pkcert@example.pk"))

    assert (report.sent, report.failed, again.sent) == (2, 0, 0)
    delivered = {
        tuple(rcpts): mail
        for (_, rcpts), mail in zip(smtp_sink.envelopes, smtp_sink.messages, strict=True)
    }
    assert set(delivered) == {("soc@first-bank.example.pk",), ("soc@punjab-it-board.example.pk",)}
    mail = delivered[("soc@first-bank.example.pk",)]
    # Each organisation hears from its own CERT.
    # (Its From address is the installation's, as configured when the advisory went out.)
    address = get_settings().smtp_from
    assert str(mail["From"]).strip() == f"SBPCERT CERT <{address}>"
    punjab = delivered[("soc@punjab-it-board.example.pk",)]
    assert str(punjab["From"]).strip() == f"PUNJABCERT CERT <{address}>"
    assert (
        str(mail["Subject"]).strip()
        == f"[TLP:AMBER+STRICT] {advisory.tracking_id}: {advisory.title}"
    )
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("TLP:AMBER+STRICT")
    assert "Acme Gateway 2.3.0" in text
    attachments = list(mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == [csaf.filename(advisory.tracking_id)]
    document = json.loads(attachments[0].get_content())
    assert csaf_errors(document) == []
    # CSAF 2.0 has no AMBER+STRICT: AMBER, with the exact TLP 2.0 label kept in the text.
    assert document["document"]["distribution"]["tlp"]["label"] == "AMBER"
    assert document["document"]["distribution"]["text"].startswith("TLP:AMBER+STRICT")


def test_the_reminder_job_mails_whoever_is_overdue(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    national = net.principal(session, "national")
    passed = clock.now() - timedelta(hours=1)
    advisory = service.create(
        session=session,
        principal=national,
        data=AdvisoryCreate.model_validate(advisory_data(answer_deadline=passed.isoformat())),
    )
    service.publish(
        session=session, principal=national, advisory_id=advisory.id, data=PublishRequest()
    )
    session.flush()
    settings = smtp_sink.settings()
    assert remind_overdue(bound_factory, settings) == {"reminded": 2}
    assert remind_overdue(bound_factory, settings) == {"reminded": 0}
    outbox.deliver_due(bound_factory, settings)
    subjects = sorted(str(m["Subject"]).strip() for m in smtp_sink.messages)
    assert sum("Reminder" in s for s in subjects) == 2
    assert len(subjects) == 4  # the advisory and the reminder, to each of the two
    assert "advisories.remind_overdue" in {job.name for job in JOBS}
