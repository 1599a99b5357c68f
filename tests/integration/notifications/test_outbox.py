"""The outbox: idempotent enqueuing, delivery over a real SMTP conversation, retries,
permanent failures, a sender that died, and who may read what was sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from certnet.core import clock
from certnet.core.errors import Conflict, Invalid, NotFound
from certnet.core.models import AuditEntry
from certnet.notifications import service
from certnet.notifications.models import MessageState, OutboxMessage
from tests.conftest import SmtpSink
from tests.factories import Network, build_network
from tests.integration.web.helpers import signed_in


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


def _enqueue(session: Session, net: Network, key: str = "test:1", **extra: object) -> OutboxMessage:
    bank = net.orgs["First Bank"]
    fields: dict[str, object] = {
        "to": ["soc@firstbank.example", "ciso@firstbank.example"],
        "subject": "Open RDP on 2 hosts",
        "text": "Dear First Bank,\n\nTwo of your hosts expose RDP.\n",
        "attachments": [service.Attachment("events.csv", "text/csv", b"ip,port\n192.0.2.1,3389\n")],
        "owner_cert_id": bank.cert_id,
        "organisation_id": bank.id,
        "object_type": "test",
        "object_id": 7,
        "ticket": "SBP-2026-000001",
    }
    fields.update(extra)
    return service.enqueue(session, key=key, **fields)  # type: ignore[arg-type]


def _stored(session: Session, message_id: int) -> tuple[MessageState, int, str | None]:
    found = session.get_one(OutboxMessage, message_id, populate_existing=True)
    return found.state, found.attempts, found.last_error


def test_enqueue_is_idempotent_on_its_key(session: Session, net: Network) -> None:
    first = _enqueue(session, net)
    again = _enqueue(session, net, subject="something else")
    assert again.id == first.id
    assert again.subject == "Open RDP on 2 hosts"
    assert session.scalar(select(func.count(OutboxMessage.id))) == 1
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.enqueue")).all()
    assert [e.object_id for e in entries] == [str(first.id)]


def test_enqueue_refuses_a_message_without_recipients(session: Session, net: Network) -> None:
    with pytest.raises(Invalid) as refused:
        _enqueue(session, net, to=[" "])
    assert refused.value.errors[0].field == "to"


def test_a_due_message_is_sent_over_smtp_once(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    queued = _enqueue(session, net)
    settings = smtp_sink.settings(smtp_from="sbp-cert@example.pk")

    report = service.deliver_due(bound_factory, settings)
    again = service.deliver_due(bound_factory, settings)

    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    assert again.sent == 0
    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0]
    assert mail["Subject"] == "Open RDP on 2 hosts"
    assert mail["From"] == "sbp-cert@example.pk"
    assert mail["X-Certnet-Ticket"] == "SBP-2026-000001"
    assert mail["Message-ID"] == service.message_id_for("test:1")
    assert sorted(smtp_sink.envelopes[0][1]) == ["ciso@firstbank.example", "soc@firstbank.example"]
    body = mail.get_body(("plain",))
    assert body is not None
    assert "Two of your hosts" in body.get_content()
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "events.csv"
    assert attachment.get_content() == "ip,port\n192.0.2.1,3389\n"
    session.refresh(queued)
    assert queued.state is MessageState.SENT
    assert queued.attempts == 1
    assert queued.sent_at is not None


def test_an_unreachable_server_is_retried_with_backoff_then_succeeds(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    queued = _enqueue(session, net)
    down = smtp_sink.settings(smtp_port=1, outbox_retry_seconds=60)
    now = clock.now()

    report = service.deliver_due(bound_factory, down, now=now)

    assert (report.sent, report.retrying) == (0, 1)
    session.refresh(queued)
    assert queued.state is MessageState.QUEUED
    assert queued.attempts == 1
    assert queued.last_error
    assert queued.next_attempt_at >= now + timedelta(seconds=59)
    # Not due yet: nothing is tried before the backoff has passed.
    assert service.deliver_due(bound_factory, smtp_sink.settings(), now=now).sent == 0
    later = service.deliver_due(bound_factory, smtp_sink.settings(), now=now + timedelta(minutes=2))
    assert later.sent == 1
    assert len(smtp_sink.messages) == 1
    session.refresh(queued)
    assert _stored(session, queued.id) == (MessageState.SENT, 2, None)


def test_a_refused_recipient_fails_permanently_and_can_be_retried(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    queued = _enqueue(session, net, to=["gone@firstbank.example"])
    smtp_sink.refuse.add("gone@firstbank.example")

    report = service.deliver_due(bound_factory, smtp_sink.settings())

    assert report.failed == 1
    assert smtp_sink.messages == []
    session.refresh(queued)
    assert queued.state is MessageState.FAILED
    assert "550" in (queued.last_error or "")
    sbp = net.principal(session, "sbpadmin")
    service.retry(session=session, principal=sbp, message_id=queued.id)
    assert _stored(session, queued.id)[:2] == (MessageState.QUEUED, 0)
    with pytest.raises(Conflict):
        service.retry(session=session, principal=sbp, message_id=queued.id)


def test_a_sender_that_died_mid_send_is_retried_after_its_lease(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    queued = _enqueue(session, net)
    now = clock.now()
    queued.state, queued.claimed_at, queued.attempts = MessageState.SENDING, now, 1
    session.flush()
    settings = smtp_sink.settings(outbox_lease_seconds=600)

    assert service.deliver_due(bound_factory, settings, now=now + timedelta(minutes=5)).sent == 0
    assert service.deliver_due(bound_factory, settings, now=now + timedelta(minutes=11)).sent == 1
    # The same Message-ID on the retry lets receivers drop a duplicate.
    assert smtp_sink.messages[0]["Message-ID"] == queued.message_id


def test_messages_are_read_through_the_access_policy(session: Session, net: Network) -> None:
    queued = _enqueue(session, net)
    bank_user = net.principal(session, "bankadmin")
    telco_user = net.principal(session, "telco")
    pta = net.principal(session, "pta")
    seen = service.list_messages(session=session, principal=bank_user)
    assert [m.id for m in seen.items] == [queued.id]
    assert service.list_messages(session=session, principal=telco_user).items == []
    assert service.list_messages(session=session, principal=pta).items == []
    with pytest.raises(NotFound):
        service.get_message(session=session, principal=telco_user, message_id=queued.id)
    counts = service.counts(session=session, principal=net.principal(session, "sbp"))
    assert counts[MessageState.QUEUED] == 1


def test_the_api_lists_messages_and_hides_other_organisations(
    client: TestClient, session: Session, net: Network
) -> None:
    queued = _enqueue(session, net)
    mine = client.get(
        "/api/v1/notifications/messages",
        headers={"Authorization": f"Bearer {net.token(session, 'bankreporter')}"},
    )
    assert mine.status_code == 200
    assert [m["ticket"] for m in mine.json()["items"]] == ["SBP-2026-000001"]
    assert mine.json()["items"][0]["attachments"][0]["filename"] == "events.csv"
    other = client.get(
        f"/api/v1/notifications/messages/{queued.id}",
        headers={"Authorization": f"Bearer {net.token(session, 'telco')}"},
    )
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")


def test_the_console_page_shows_the_outbox_to_the_cert(
    client: TestClient, session: Session, net: Network
) -> None:
    _enqueue(session, net)
    signed_in(client, "sbp")
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "SBP-2026-000001" in page.text
    assert "Open RDP on 2 hosts" in page.text
    assert client.get("/notifications?state=bogus").status_code == 422
