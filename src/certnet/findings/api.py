"""REST routes of the findings domain: findings and their answers, notifications sent,
suppression rules, contact preferences and notification intervals."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.findings import service
from certnet.findings.models import FindingState
from certnet.findings.schemas import (
    FindingAnswer,
    FindingDetail,
    FindingRead,
    HistoryRead,
    IntervalRead,
    IntervalUpdate,
    NotificationRead,
    PreferenceRead,
    PreferenceUpdate,
    SuppressionCreate,
    SuppressionRead,
)

router = APIRouter(prefix="/findings", tags=["findings"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Action = Literal["acknowledge", "fixed", "verify", "reopen"]


@router.get("", response_model=PageOut[FindingRead])
def list_findings(
    session: SessionDep,
    principal: PrincipalDep,
    state: FindingState | None = None,
    report_type: str | None = None,
    organisation_id: int | None = None,
    sector: str | None = None,
    ticket: str | None = None,
    host: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[FindingRead]:
    """Findings you may see (your organisation's, for constituents), newest first."""
    page = service.list_findings(
        session=session,
        principal=principal,
        state=state,
        report_type=report_type,
        organisation_id=organisation_id,
        sector=sector,
        ticket=ticket,
        host=host,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[FindingRead.model_validate(f) for f in page.items], next_cursor=page.next_cursor
    )


@router.get("/notifications", response_model=PageOut[NotificationRead])
def list_notifications(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: int | None = None,
    report_type: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[NotificationRead]:
    """Notifications sent about findings, with their tickets, newest first."""
    page = service.list_notifications(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        report_type=report_type,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[NotificationRead.model_validate(n) for n in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/suppressions", response_model=PageOut[SuppressionRead])
def list_suppressions(
    session: SessionDep,
    principal: PrincipalDep,
    active: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[SuppressionRead]:
    """Suppression rules (``active``: only those in force now), newest first."""
    page = service.list_rules(
        session=session, principal=principal, active_only=active, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[SuppressionRead.model_validate(r) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.post("/suppressions", response_model=SuppressionRead, status_code=201)
def create_suppression(
    session: SessionDep, principal: PrincipalDep, data: SuppressionCreate
) -> SuppressionRead:
    """Stop notifying findings matching the rule, until it expires or is lifted."""
    return SuppressionRead.model_validate(
        service.create_rule(session=session, principal=principal, data=data)
    )


@router.post("/suppressions/{rule_id}/lift", response_model=SuppressionRead)
def lift_suppression(session: SessionDep, principal: PrincipalDep, rule_id: int) -> SuppressionRead:
    """Undo a suppression rule."""
    return SuppressionRead.model_validate(
        service.lift_rule(session=session, principal=principal, rule_id=rule_id)
    )


@router.get("/preferences/{contact_id}", response_model=PreferenceRead)
def get_preference(session: SessionDep, principal: PrincipalDep, contact_id: int) -> PreferenceRead:
    """A contact's notification preferences (the defaults when none are stored)."""
    return service.get_preference(session=session, principal=principal, contact_id=contact_id)


@router.put("/preferences/{contact_id}", response_model=PreferenceRead)
def set_preference(
    session: SessionDep, principal: PrincipalDep, contact_id: int, data: PreferenceUpdate
) -> PreferenceRead:
    """Set a contact's language, format, CSV attachment and opted-out report types."""
    return PreferenceRead.model_validate(
        service.set_preference(
            session=session, principal=principal, contact_id=contact_id, data=data
        )
    )


@router.get("/intervals/{organisation_id}", response_model=IntervalRead)
def get_interval(
    session: SessionDep, principal: PrincipalDep, organisation_id: int
) -> IntervalRead:
    """How often an organisation is notified."""
    interval = service.get_interval(
        session=session, principal=principal, organisation_id=organisation_id
    )
    return IntervalRead(organisation_id=organisation_id, interval=interval)


@router.put("/intervals/{organisation_id}", response_model=IntervalRead)
def set_interval(
    session: SessionDep, principal: PrincipalDep, organisation_id: int, data: IntervalUpdate
) -> IntervalRead:
    """Set how often an organisation is notified (immediate, daily, weekly)."""
    stored = service.set_interval(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        interval=data.interval,
    )
    return IntervalRead(organisation_id=stored.organisation_id, interval=stored.interval)


@router.get("/{finding_id}", response_model=FindingDetail)
def get_finding(session: SessionDep, principal: PrincipalDep, finding_id: int) -> FindingDetail:
    """One finding with its history."""
    finding = service.get_finding(session=session, principal=principal, finding_id=finding_id)
    steps = service.history(session=session, principal=principal, finding_id=finding_id)
    return FindingDetail(
        **FindingRead.model_validate(finding).model_dump(),
        history=[HistoryRead.model_validate(h) for h in steps],
    )


@router.post("/{finding_id}/{action}", response_model=FindingRead)
def answer(
    session: SessionDep,
    principal: PrincipalDep,
    finding_id: int,
    action: Action,
    data: FindingAnswer | None = None,
) -> FindingRead:
    """Answer a finding: ``acknowledge`` or ``fixed`` (with a note); CERT staff may also
    ``verify`` or ``reopen`` (with a reason)."""
    return FindingRead.model_validate(
        service.answer(
            session=session,
            principal=principal,
            finding_id=finding_id,
            action=action,
            note=data.note if data else None,
        )
    )
