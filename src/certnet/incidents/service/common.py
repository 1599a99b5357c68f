"""What every part of the incidents service shares: reading an incident through the policy,
who may act on it, the timeline with its audit entry, and notifications (mail and webhooks)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import ContactRole
from certnet.core import access, audit, clock
from certnet.core.access import CertTree, Principal
from certnet.core.errors import Forbidden, NotFound
from certnet.core.tlp import Tlp
from certnet.incidents.models import Incident, TimelineEntry, Webhook, WebhookDelivery
from certnet.notifications import service as outbox

SYSTEM = Principal.system("incidents")


def now_or(value: datetime | None) -> datetime:
    """``value``, or the clock's now, without microseconds (timestamps people read)."""
    return (value or clock.now()).replace(microsecond=0)


def fetch(session: Session, principal: Principal, incident_id: int) -> Incident:
    """The incident, or NotFound when it does not exist or is out of the principal's sight."""
    incident = session.scalar(
        access.scoped(select(Incident).where(Incident.id == incident_id), principal)
    )
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


def is_cert_staff(principal: Principal) -> bool:
    """CERT staff (or certnet itself), as opposed to a constituent organisation's users."""
    return principal.role is not None and not principal.role.is_constituent


def fetch_for_handling(session: Session, principal: Principal, incident_id: int) -> Incident:
    """The incident, if the principal is staff of a CERT that may handle it (its owner, its
    handler, or a CERT above either): Forbidden for anyone else who can see it."""
    incident = fetch(session, principal, incident_id)
    if not is_cert_staff(principal):
        raise Forbidden(f"only CERT staff may handle incident {incident_id}")
    access.require(session, principal, "edit", incident)
    return incident


def tree(session: Session) -> CertTree:
    return constituency.cert_tree(session=session)


def note(
    session: Session,
    principal: Principal,
    incident: Incident,
    *,
    kind: str,
    summary: str,
    data: dict[str, Any] | None = None,
    internal: bool = False,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
    audited: bool = True,
) -> TimelineEntry:
    """Put an event on the incident's timeline and, for a state change, in the audit chain."""
    entry = TimelineEntry(
        incident_id=incident.id,
        at=now_or(at),
        actor_user_id=principal.user_id,
        actor=principal.name,
        kind=kind,
        summary=summary[:2000],
        data=data or {},
        internal=internal,
    )
    session.add(entry)
    if audited:
        audit.record(
            session=session,
            principal=principal,
            action=f"incident.{kind}",
            object_type="incident",
            object_id=incident.id,
            before=before,
            after=after if after is not None else (data or {}),
            owner_cert_id=incident.owner_cert_id,
        )
    else:
        session.flush()
    return entry


def duty_addresses(session: Session, cert_id: int) -> list[str]:
    """The 24/7 duty addresses of a CERT (its point of contact when it names no duty desk)."""
    contacts = constituency.list_contacts(session=session, principal=SYSTEM, cert_id=cert_id)
    valid = [c for c in contacts if not constituency.is_expired(c)]
    duty = [c.email for c in valid if c.role is ContactRole.DUTY_24_7]
    return duty or [c.email for c in valid if c.role is ContactRole.POINT_OF_CONTACT]


def organisation_addresses(session: Session, organisation_id: int) -> list[str]:
    """Whom to write to at the organisation: its valid security and point-of-contact people."""
    return [
        c.email
        for c in constituency.recipients(
            session=session, principal=SYSTEM, organisation_id=organisation_id
        )
    ]


def _body(incident: Incident, lines: Iterable[str]) -> str:
    """A mail body that carries no more than the incident's TLP allows a mailbox: RED and
    AMBER+STRICT mails name the incident only; the console shows the rest."""
    head = [f"Incident {incident.reference}"]
    if incident.tlp.rank <= Tlp.AMBER.rank:
        head.append(f"Title: {incident.title}")
    head.append(f"TLP:{incident.tlp.value}  Severity: {incident.severity.value}")
    return "\n".join([*head, "", *lines, ""])


def mail(
    session: Session,
    incident: Incident,
    *,
    key: str,
    to: list[str],
    subject: str,
    lines: Iterable[str],
    owner_cert_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """Queue a mail about the incident in the outbox (idempotent on ``key``)."""
    recipients = sorted(set(to))
    if not recipients:
        return
    outbox.enqueue(
        session,
        key=key,
        to=recipients,
        subject=f"[{incident.reference}] [TLP:{incident.tlp.value}] {subject}",
        text=_body(incident, lines),
        owner_cert_id=owner_cert_id or incident.handling_cert_id,
        object_type="incident",
        object_id=incident.id,
        ticket=incident.reference,
        organisation_id=organisation_id,
    )


def tell_duty(
    session: Session, incident: Incident, cert_id: int, event: str, subject: str, lines: list[str]
) -> None:
    """Mail a CERT's duty desk about an event of the incident (once per event and CERT)."""
    mail(
        session,
        incident,
        key=f"incident:{incident.id}:{event}:cert:{cert_id}",
        to=duty_addresses(session, cert_id),
        subject=subject,
        lines=lines,
        owner_cert_id=cert_id,
    )


def tell_reporter(
    session: Session, incident: Incident, event: str, subject: str, lines: list[str]
) -> None:
    """Mail the reporter (or, when none was given, the organisation's contacts)."""
    to = (
        [incident.reporter_email]
        if incident.reporter_email
        else organisation_addresses(session, incident.organisation_id)
    )
    mail(
        session,
        incident,
        key=f"incident:{incident.id}:{event}:reporter",
        to=to,
        subject=subject,
        lines=lines,
        organisation_id=incident.organisation_id,
    )


def webhook_event(session: Session, incident: Incident, event: str, at: datetime) -> None:
    """Queue the event for every active webhook of a CERT that sees the incident's work (the
    owner, the handler and the CERTs above them). The payload carries identifiers and state,
    and the title only where the TLP is AMBER or more open."""
    line = tree(session)
    certs = set(line.chain(incident.owner_cert_id)) | set(line.chain(incident.handling_cert_id))
    hooks = list(
        session.scalars(
            select(Webhook).where(
                Webhook.active.is_(True), Webhook.owner_cert_id.in_(sorted(certs))
            )
        )
    )
    payload: dict[str, Any] = {
        "event": event,
        "at": at.isoformat(),
        "incident": {
            "id": incident.id,
            "reference": incident.reference,
            "status": incident.status.value,
            "severity": incident.severity.value,
            "tlp": incident.tlp.value,
            "owner_cert_id": incident.owner_cert_id,
            "handling_cert_id": incident.handling_cert_id,
        },
    }
    if incident.tlp.rank <= Tlp.AMBER.rank:
        payload["incident"]["title"] = incident.title
    for hook in hooks:
        if "*" not in hook.events and event not in hook.events:
            continue
        key = f"{hook.id}:{incident.id}:{event}:{at.isoformat()}"
        if session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.key == key)):
            continue
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                key=key,
                event=event,
                incident_id=incident.id,
                payload=payload,
                state="pending",
                attempts=0,
                next_attempt_at=at,
            )
        )


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start) / timedelta(hours=1)
