"""Reporting clocks: the stages an organisation owes its CERT, counted from the moment it
became aware (never set by hand), reminders before a deadline and overdue flags after it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid
from certnet.incidents.models import Incident, IncidentStage
from certnet.incidents.rules import RoutingRules
from certnet.incidents.schemas import ReminderReport, StageRead
from certnet.incidents.service import common
from certnet.incidents.service.routing import rules_for
from certnet.profiles import service as profiles
from certnet.profiles.schemas import Profile

#: A stage due within this is "due soon" in the queue.
DUE_SOON = timedelta(hours=6)


def create_stages(
    session: Session, incident: Incident, profile: Profile, rules: RoutingRules
) -> list[IncidentStage]:
    """The stages of a new incident: each clock the rules name, due ``hours`` after the
    organisation became aware."""
    clocks = {c.id: c for c in profile.clocks}
    made = []
    for position, clock_id in enumerate(rules.stages):
        clock = clocks.get(clock_id)
        if clock is None:
            continue
        stage = IncidentStage(
            incident_id=incident.id,
            clock_id=clock.id,
            name=clock.name,
            position=position,
            due_at=incident.became_aware_at + timedelta(hours=clock.hours),
            late=False,
        )
        session.add(stage)
        made.append(stage)
    session.flush()
    refresh_next_due(session, incident)
    return made


def refresh_next_due(session: Session, incident: Incident) -> None:
    """Keep ``incident.next_due_at`` the earliest deadline still owed (None: nothing owed, or
    the incident is no longer open)."""
    if not incident.status.is_open:
        incident.next_due_at = None
        return
    incident.next_due_at = session.scalar(
        select(IncidentStage.due_at)
        .where(IncidentStage.incident_id == incident.id, IncidentStage.submitted_at.is_(None))
        .order_by(IncidentStage.due_at)
        .limit(1)
    )


def stage_state(stage: IncidentStage, now: datetime) -> str:
    """submitted, late (submitted after its deadline), overdue, due_soon or pending."""
    if stage.submitted_at is not None:
        return "late" if stage.late else "submitted"
    if stage.due_at < now:
        return "overdue"
    if stage.due_at - now <= DUE_SOON:
        return "due_soon"
    return "pending"


def _stages(session: Session, incident_id: int) -> list[IncidentStage]:
    return list(
        session.scalars(
            select(IncidentStage)
            .where(IncidentStage.incident_id == incident_id)
            .order_by(IncidentStage.position)
        )
    )


def stages(
    *, session: Session, principal: Principal, incident_id: int, now: datetime | None = None
) -> list[StageRead]:
    """Each stage of the incident: due, submitted, late, with its basis (law or policy)."""
    incident = common.fetch(session, principal, incident_id)
    at = common.now_or(now)
    try:
        clocks = {c.id: c for c in profiles.load(incident.profile_id).clocks}
    except Exception:  # noqa: BLE001 - a profile removed since: the stages still show
        clocks = {}
    result = []
    for stage in _stages(session, incident.id):
        clock = clocks.get(stage.clock_id)
        result.append(
            StageRead(
                clock_id=stage.clock_id,
                name=stage.name,
                due_at=stage.due_at,
                submitted_at=stage.submitted_at,
                late=stage.late,
                state=stage_state(stage, at),
                basis=clock.basis.value if clock else None,
                source=clock.source if clock else None,
            )
        )
    return result


def submit_stage(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    clock_id: str,
    report: str,
    now: datetime | None = None,
) -> IncidentStage:
    """The organisation submits a stage report (marked late after its deadline). Invalid on
    ``clock_id`` for an unknown or already submitted stage, on ``status`` for a closed
    incident. The organisation's users and the handling CERT's staff (on its behalf) may."""
    incident = common.fetch(session, principal, incident_id)
    if "write" not in principal.scopes:
        raise Forbidden("this credential may not write")
    if principal.role is not None and principal.role.is_constituent:
        if principal.organisation_id != incident.organisation_id:
            raise Forbidden(f"you may not report on incident {incident_id}")
    else:
        incident = common.fetch_for_handling(session, principal, incident_id)
    if not incident.status.is_open:
        raise Invalid.on(
            "status", f"incident {incident_id} is {incident.status.value}: no more stage reports"
        )
    if not report.strip():
        raise Invalid.on("report", "the stage report is empty")
    stage = session.scalar(
        select(IncidentStage).where(
            IncidentStage.incident_id == incident.id, IncidentStage.clock_id == clock_id
        )
    )
    if stage is None:
        raise Invalid.on("clock_id", f"incident {incident_id} owes no stage {clock_id!r}")
    if stage.submitted_at is not None:
        raise Invalid.on("clock_id", f"stage {clock_id!r} was submitted on {stage.submitted_at}")
    at = common.now_or(now)
    stage.submitted_at = at
    stage.submitted_by = principal.name
    stage.report = report
    stage.late = at > stage.due_at
    incident.updated_at = at
    session.flush()
    refresh_next_due(session, incident)
    verdict = "late" if stage.late else "on time"
    common.note(
        session,
        principal,
        incident,
        kind="stage_submitted",
        summary=f"{stage.name} submitted {verdict}",
        data={"clock_id": clock_id, "due_at": stage.due_at.isoformat(), "late": stage.late},
        at=at,
    )
    common.tell_duty(
        session,
        incident,
        incident.handling_cert_id,
        f"stage:{clock_id}",
        f"{stage.name} received ({verdict})",
        [f"The organisation submitted its {stage.name.lower()} {verdict}."],
    )
    common.webhook_event(session, incident, "incident.stage_submitted", at)
    return stage


def send_reminders(*, session: Session, now: datetime | None = None) -> ReminderReport:
    """Remind organisations' contacts of stages due within the rules' reminder window, and
    flag overdue stages to the handling CERT (outbox mail, timeline); each only once, so the
    job may run as often as it likes."""
    at = common.now_or(now)
    reminders = flags = 0
    rules_cache: dict[str, RoutingRules] = {}
    horizon = at + timedelta(hours=720)
    owed = session.execute(
        select(IncidentStage, Incident)
        .join(Incident, Incident.id == IncidentStage.incident_id)
        .where(IncidentStage.submitted_at.is_(None), IncidentStage.due_at <= horizon)
        .order_by(IncidentStage.due_at)
    ).all()
    for stage, incident in owed:
        if not incident.status.is_open:
            continue
        if incident.profile_id not in rules_cache:
            rules_cache[incident.profile_id] = rules_for(session, incident.profile_id)
        window = timedelta(hours=rules_cache[incident.profile_id].remind_hours_before)
        if stage.due_at < at and stage.overdue_flagged_at is None:
            stage.overdue_flagged_at = at
            flags += 1
            common.note(
                session,
                common.SYSTEM,
                incident,
                kind="overdue",
                summary=f"{stage.name} is overdue (was due {stage.due_at:%Y-%m-%d %H:%M} UTC)",
                data={"clock_id": stage.clock_id},
                at=at,
            )
            common.tell_duty(
                session,
                incident,
                incident.handling_cert_id,
                f"overdue:{stage.clock_id}",
                f"Overdue: {stage.name}",
                [
                    f"The organisation has not submitted its {stage.name.lower()}, due "
                    f"{stage.due_at:%Y-%m-%d %H:%M} UTC."
                ],
            )
            common.webhook_event(session, incident, "incident.overdue", at)
        elif at <= stage.due_at <= at + window and stage.reminded_at is None:
            stage.reminded_at = at
            reminders += 1
            common.note(
                session,
                common.SYSTEM,
                incident,
                kind="reminder",
                summary=f"Reminder sent: {stage.name} due {stage.due_at:%Y-%m-%d %H:%M} UTC",
                data={"clock_id": stage.clock_id},
                at=at,
                audited=False,
            )
            common.mail(
                session,
                incident,
                key=f"incident:{incident.id}:reminder:{stage.clock_id}",
                to=common.organisation_addresses(session, incident.organisation_id),
                subject=f"Reminder: {stage.name} due {stage.due_at:%Y-%m-%d %H:%M} UTC",
                lines=[
                    f"Your {stage.name.lower()} on this incident is due "
                    f"{stage.due_at:%Y-%m-%d %H:%M} UTC.",
                    "Submit it in the portal, or with the API or CLI.",
                ],
                organisation_id=incident.organisation_id,
            )
    session.flush()
    return ReminderReport(reminders=reminders, overdue_flags=flags)
