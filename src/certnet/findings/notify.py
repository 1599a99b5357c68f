"""Notifying organisations of their findings: per organisation, per report type, per period,
one aggregated notification with a ticket number, written in each contact's language with the
events attached as CSV, and put in the outbox in the same transaction that marks the findings
notified — so a crash and a re-run never send twice and never lose one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from certnet.config import get_settings
from certnet.constituency import service as constituency
from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import Forbidden
from certnet.feeds.models import Event
from certnet.findings import mail, preferences, suppressions, tracking
from certnet.findings.models import (
    TO_NOTIFY,
    Finding,
    FindingNotification,
    FindingState,
    Interval,
    Language,
    MailFormat,
)
from certnet.findings.schemas import NotifyReport
from certnet.notifications import service as outbox

OBJECT_TYPE = "finding_notification"


def period_of(interval: Interval, now: datetime) -> str:
    """The period ``now`` falls in: a day, an ISO week, or (immediate) a minute."""
    if interval is Interval.DAILY:
        return now.date().isoformat()
    if interval is Interval.WEEKLY:
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return now.strftime("%Y-%m-%dT%H:%M")


def ticket_for(notification_id: int, now: datetime) -> str:
    """A ticket number people can read out on the phone: ``FND-2026-000042``."""
    return f"FND-{now.year}-{notification_id:06d}"


@dataclass(frozen=True)
class _Candidate:
    id: int
    organisation_id: int
    owner_cert_id: int
    report_type: str
    ip_version: int | None
    ip_hex: str | None


def _candidates(session: Session) -> list[_Candidate]:
    rows = session.execute(
        select(
            Finding.id,
            Finding.organisation_id,
            Finding.owner_cert_id,
            Finding.report_type,
            Finding.ip_version,
            Finding.ip_hex,
        )
        .where(Finding.state.in_(TO_NOTIFY))
        .order_by(Finding.id)
    )
    return [_Candidate(*row) for row in rows]


def _already_sent(session: Session, organisation_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    found: set[tuple[int, str, str]] = set()
    for offset in range(0, len(organisation_ids), 1000):
        rows = session.execute(
            select(
                FindingNotification.organisation_id,
                FindingNotification.report_type,
                FindingNotification.period,
            ).where(
                FindingNotification.organisation_id.in_(organisation_ids[offset : offset + 1000])
            )
        )
        found.update((int(o), str(t), str(p)) for o, t, p in rows)
    return found


def notify_due(
    *, session: Session, now: datetime, principal: Principal | None = None
) -> NotifyReport:
    """Build and enqueue every notification that is due at ``now``: the open and reopened
    findings not covered by a suppression rule, grouped by organisation and report type,
    for each organisation whose period (its interval) has no notification of that type yet.
    Findings of an organisation with nobody to write to stay open (and are counted)."""
    if principal is not None and not access.allowed(principal.role, "edit", "suppression_rule"):
        raise Forbidden("only CERT staff may send findings notifications")
    actor = principal or Principal.system("findings notifier")
    report = NotifyReport()
    candidates = _candidates(session)
    if not candidates:
        return report
    matcher = suppressions.active_matcher(session=session, now=now)
    groups: dict[tuple[int, str], list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        rule = matcher.match(
            organisation_id=candidate.organisation_id,
            owner_cert_id=candidate.owner_cert_id,
            report_type=candidate.report_type,
            ip_version=candidate.ip_version,
            ip_hex=candidate.ip_hex,
        )
        if rule is not None:
            report.suppressed += 1
            continue
        groups[(candidate.organisation_id, candidate.report_type)].append(candidate)
    organisation_ids = sorted({org for org, _ in groups})
    intervals = preferences.intervals_of(session=session, organisation_ids=organisation_ids)
    sent = _already_sent(session, organisation_ids)
    for (organisation_id, report_type), members in sorted(groups.items()):
        interval = intervals[organisation_id]
        period = period_of(interval, now)
        if (organisation_id, report_type, period) in sent:
            report.waiting += len(members)
            continue
        notified = _notify_group(
            session,
            organisation_id=organisation_id,
            report_type=report_type,
            interval=interval,
            period=period,
            finding_ids=[m.id for m in members],
            now=now,
            actor=actor,
        )
        if notified is None:
            report.no_recipient += len(members)
            continue
        report.notifications += 1
        report.messages += len(notified.message_ids)
        report.findings += notified.finding_count
        report.tickets.append(notified.ticket)
    return report


def _notify_group(
    session: Session,
    *,
    organisation_id: int,
    report_type: str,
    interval: Interval,
    period: str,
    finding_ids: list[int],
    now: datetime,
    actor: Principal,
) -> FindingNotification | None:
    system = Principal.system("findings notifier")
    contacts = constituency.recipients(
        session=session, principal=system, organisation_id=organisation_id
    )
    prefs = preferences.preferences_of(session=session, contact_ids=[c.id for c in contacts])
    chosen = [
        (contact, prefs.get(contact.id, preferences.DEFAULT_PREFERENCE))
        for contact in contacts
        if report_type not in prefs.get(contact.id, preferences.DEFAULT_PREFERENCE).opted_out
    ]
    if not chosen:
        return None
    org = constituency.get_organisation(
        session=session, principal=system, organisation_id=organisation_id
    )
    cert = constituency.get_cert(session=session, principal=system, cert_id=org.cert_id)
    # Rows of the columns a notification needs, not ORM objects: groups can be large.
    findings: list[Any] = []
    for chunk in _chunked(finding_ids):
        findings.extend(
            session.execute(
                select(
                    Finding.id,
                    Finding.host,
                    Finding.port,
                    Finding.issue,
                    Finding.last_seen,
                    Finding.last_event_id,
                ).where(Finding.id.in_(chunk))
            )
        )
    findings.sort(key=lambda f: (f.host, f.port or 0, f.id))
    notification = FindingNotification(
        ticket=f"pending-{uuid.uuid4().hex}",
        owner_cert_id=org.cert_id,
        organisation_id=org.id,
        report_type=report_type,
        interval=interval,
        period=period,
        created_at=now,
        finding_count=len(findings),
        recipients=[],
        message_ids=[],
    )
    session.add(notification)
    session.flush()
    notification.ticket = ticket_for(notification.id, now)
    csv_name = f"{notification.ticket}-{report_type}.csv"
    csv_content: bytes | None = None
    portal = getattr(get_settings(), "public_url", "") or ""
    portal_url = (
        f"{str(portal).rstrip('/')}/findings?ticket={notification.ticket}" if portal else ""
    )
    recipients: list[dict[str, str]] = []
    message_ids: list[int] = []
    for contact, pref in chosen:
        attach = pref.attach_csv
        if attach and csv_content is None:
            csv_content = _csv(session, findings)
        rendered = mail.render(
            language=Language(pref.language),
            report_type=report_type,
            organisation=org.name,
            cert=cert.name,
            ticket=notification.ticket,
            findings=findings,
            csv_name=csv_name if attach else None,
            portal_url=portal_url or None,
        )
        message = outbox.enqueue(
            session,
            key=f"findings:{org.id}:{report_type}:{period}:{contact.id}",
            to=[contact.email],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html if pref.mail_format is MailFormat.HTML else None,
            attachments=[outbox.Attachment(csv_name, "text/csv", csv_content)]
            if attach and csv_content is not None
            else (),
            owner_cert_id=org.cert_id,
            organisation_id=org.id,
            object_type=OBJECT_TYPE,
            object_id=notification.id,
            ticket=notification.ticket,
            principal=actor,
        )
        recipients.append({"email": contact.email, "language": pref.language.value})
        message_ids.append(message.id)
    notification.recipients = recipients
    notification.message_ids = message_ids
    ids = [f.id for f in findings]
    for chunk in _chunked(ids):
        tracking.history_for(
            session,
            Finding.id.in_(chunk),
            to_state=FindingState.NOTIFIED,
            now=now,
            actor=actor,
            note=f"notified under ticket {notification.ticket}",
            notification_id=notification.id,
        )
        session.execute(
            update(Finding)
            .where(Finding.id.in_(chunk))
            .values(
                state=FindingState.NOTIFIED,
                notified_at=now,
                last_notification_id=notification.id,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    session.flush()
    tracking.expire_loaded_findings(session)
    audit.record(
        session=session,
        principal=actor,
        action="finding.notify",
        object_type=OBJECT_TYPE,
        object_id=notification.id,
        after={
            "ticket": notification.ticket,
            "organisation_id": org.id,
            "report_type": report_type,
            "period": period,
            "findings": len(ids),
            "recipients": [r["email"] for r in recipients],
        },
        owner_cert_id=org.cert_id,
    )
    return notification


def _chunked(ids: Sequence[int], size: int = 1000) -> list[list[int]]:
    # IN lists stay well below every engine's parameter limit.
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def _csv(session: Session, findings: Sequence[Any]) -> bytes:
    by_event = {f.last_event_id: f.id for f in findings if f.last_event_id is not None}
    columns = [getattr(Event, name) for name in mail.CSV_COLUMNS[1:]]
    events: list[tuple[int, Any]] = []
    wanted = sorted(by_event)
    for offset in range(0, len(wanted), 1000):
        rows = session.execute(
            select(Event.id, *columns, Event.data)
            .where(Event.id.in_(wanted[offset : offset + 1000]))
            .order_by(Event.id)
        )
        events.extend((by_event[row.id], row) for row in rows)
    return mail.events_csv(events)
