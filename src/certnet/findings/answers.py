"""Reading findings through the access policy, and the answers people give on them:
constituents acknowledge and mark fixed; CERT staff may also verify by hand or reopen."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Conflict, Forbidden, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.findings.models import (
    NOTE_MAX,
    Finding,
    FindingHistory,
    FindingNotification,
    FindingState,
)

S = FindingState

#: Each answer: the states it may be given in, and the state it leads to.
TRANSITIONS: Mapping[str, tuple[frozenset[FindingState], FindingState]] = {
    "acknowledge": (frozenset({S.OPEN, S.NOTIFIED, S.REOPENED}), S.ACKNOWLEDGED),
    "fixed": (frozenset({S.OPEN, S.NOTIFIED, S.ACKNOWLEDGED, S.REOPENED}), S.FIXED),
    "verify": (
        frozenset({S.OPEN, S.NOTIFIED, S.ACKNOWLEDGED, S.FIXED, S.REOPENED}),
        S.VERIFIED,
    ),
    "reopen": (frozenset({S.FIXED, S.VERIFIED}), S.REOPENED),
}
#: Answers only a CERT gives: whether a fix holds is the CERT's call, not the constituent's.
CERT_ONLY = frozenset({"verify", "reopen"})


def list_findings(
    *,
    session: Session,
    principal: Principal,
    state: FindingState | None = None,
    report_type: str | None = None,
    organisation_id: int | None = None,
    sector: str | None = None,
    ticket: str | None = None,
    host: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Finding]:
    """Findings the principal may see (constituents: their organisation's), newest first."""
    stmt = access.scoped(select(Finding), principal)
    if state is not None:
        stmt = stmt.where(Finding.state == state)
    if report_type:
        stmt = stmt.where(Finding.report_type == report_type)
    if organisation_id is not None:
        stmt = stmt.where(Finding.organisation_id == organisation_id)
    if sector:
        stmt = stmt.where(Finding.sector == sector)
    if host:
        stmt = stmt.where(Finding.host == host.strip())
    if ticket:
        stmt = stmt.where(
            Finding.last_notification_id.in_(
                select(FindingNotification.id).where(FindingNotification.ticket == ticket.strip())
            )
        )
    return paginate(session, stmt, keys=[Finding.id], cursor=cursor, limit=limit, descending=True)


def get_finding(*, session: Session, principal: Principal, finding_id: int) -> Finding:
    """One finding, or NotFound when it is out of the principal's sight."""
    finding = session.scalar(
        access.scoped(select(Finding).where(Finding.id == finding_id), principal)
    )
    if finding is None:
        raise NotFound(f"finding {finding_id} not found")
    return finding


def history(*, session: Session, principal: Principal, finding_id: int) -> list[FindingHistory]:
    """A finding's transitions, oldest first."""
    get_finding(session=session, principal=principal, finding_id=finding_id)
    stmt = access.scoped(select(FindingHistory), principal).where(
        FindingHistory.finding_id == finding_id
    )
    # In the order they were written: transitions in one second keep their sequence.
    return list(session.scalars(stmt.order_by(FindingHistory.id)))


def answer(
    *,
    session: Session,
    principal: Principal,
    finding_id: int,
    action: str,
    note: str | None = None,
) -> Finding:
    """Give one answer on a finding (``acknowledge``, ``fixed``, ``verify``, ``reopen``):
    the state changes, the history and the audit chain record who did it, when and why."""
    if action not in TRANSITIONS:
        raise Invalid.on("action", f"expected one of: {', '.join(TRANSITIONS)}")
    note = note.strip() if note else None
    if note is not None and len(note) > NOTE_MAX:
        raise Invalid.on("note", f"at most {NOTE_MAX} characters")
    finding = get_finding(session=session, principal=principal, finding_id=finding_id)
    access.require(session, principal, "edit", finding)
    if action in CERT_ONLY and (principal.role is None or principal.role.is_constituent):
        raise Forbidden(f"only CERT staff may {action} a finding")
    allowed_from, to_state = TRANSITIONS[action]
    if finding.state not in allowed_from:
        states = ", ".join(sorted(s.value for s in allowed_from))
        raise Conflict(
            f"finding {finding_id} is {finding.state.value}; {action!r} applies to: {states}"
        )
    if action == "reopen" and not note:
        raise Invalid.on("note", "say why the finding is reopened")
    before = audit.snapshot(finding)
    now = clock.now()
    from_state = finding.state
    finding.state = to_state
    finding.updated_at = now
    if action == "acknowledge":
        finding.acknowledged_at, finding.acknowledged_by = now, principal.name
    elif action == "fixed":
        finding.fixed_at, finding.fixed_by, finding.fixed_note = now, principal.name, note
    elif action == "verify":
        finding.verified_at = now
        finding.verified_after_claim = from_state is S.FIXED
    else:
        finding.reopened_at = now
        finding.reopen_count += 1
    session.add(
        FindingHistory(
            finding_id=finding.id,
            owner_cert_id=finding.owner_cert_id,
            organisation_id=finding.organisation_id,
            at=now,
            from_state=from_state,
            to_state=to_state,
            actor_user_id=principal.user_id,
            actor=principal.name,
            note=note,
        )
    )
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action=f"finding.{action}",
        object_type="finding",
        object_id=finding.id,
        before=before,
        after=audit.snapshot(finding),
        owner_cert_id=finding.owner_cert_id,
    )
    return finding


def list_notifications(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    report_type: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[FindingNotification]:
    """Notifications sent about findings, newest first."""
    stmt = access.scoped(select(FindingNotification), principal)
    if organisation_id is not None:
        stmt = stmt.where(FindingNotification.organisation_id == organisation_id)
    if report_type:
        stmt = stmt.where(FindingNotification.report_type == report_type)
    return paginate(
        session, stmt, keys=[FindingNotification.id], cursor=cursor, limit=limit, descending=True
    )


def get_notification(
    *, session: Session, principal: Principal, notification_id: int
) -> FindingNotification:
    """One notification, or NotFound when it is out of the principal's sight."""
    found = session.scalar(
        access.scoped(
            select(FindingNotification).where(FindingNotification.id == notification_id),
            principal,
        )
    )
    if found is None:
        raise NotFound(f"notification {notification_id} not found")
    return found
