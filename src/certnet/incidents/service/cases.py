"""Case handling: workflow, assignment, comments, tasks, timeline, merge and links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import Conflict, Forbidden, Invalid, NotFound
from certnet.identity import service as identity
from certnet.incidents.models import (
    Comment,
    Incident,
    IncidentLink,
    IncidentStatus,
    LinkKind,
    Task,
    TaskStatus,
    TimelineEntry,
)
from certnet.incidents.schemas import LinkRead, TaskIn, TaskUpdate
from certnet.incidents.service import clocks, common, tally
from certnet.incidents.service.correlation import nearest_common_cert, visible_ids

S = IncidentStatus

#: The workflow: status → statuses it may move to. Closed, rejected and duplicate incidents
#: may be reopened (to triaged); a duplicate leaves that state through :func:`unmerge`.
TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.NEW: frozenset({S.TRIAGED, S.REJECTED}),
    S.TRIAGED: frozenset({S.IN_PROGRESS, S.CONTAINED, S.RESOLVED, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.CONTAINED, S.RESOLVED}),
    S.CONTAINED: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset({S.TRIAGED}),
    S.REJECTED: frozenset({S.TRIAGED}),
    S.DUPLICATE: frozenset(),
}


def allowed_transitions(incident: Incident) -> list[IncidentStatus]:
    """The statuses the incident may move to next, in workflow order (for forms)."""
    return [s for s in IncidentStatus if s in TRANSITIONS[incident.status]]


def _stamp(incident: Incident, to: IncidentStatus, at: datetime) -> None:
    """Record when the milestones the metrics measure were first reached."""
    if to is not S.NEW and to is not S.REJECTED and incident.acknowledged_at is None:
        incident.acknowledged_at = at
    if to in (S.CONTAINED, S.RESOLVED, S.CLOSED) and incident.contained_at is None:
        incident.contained_at = at
    if to in (S.RESOLVED, S.CLOSED) and incident.resolved_at is None:
        incident.resolved_at = at
    if to is S.CLOSED:
        incident.closed_at = at
    if to is S.TRIAGED and incident.status in (S.CLOSED, S.REJECTED):
        incident.closed_at = None


def transition(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    to: IncidentStatus,
    reason: str = "",
    now: datetime | None = None,
) -> Incident:
    """Move the incident along the workflow (CERT staff only); Invalid on ``to`` for a
    move the workflow does not allow. The reporter is told by e-mail."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    if to is S.DUPLICATE:
        raise Invalid.on("to", "mark a duplicate by merging it into the incident it repeats")
    if to not in TRANSITIONS[incident.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[incident.status])) or "nothing"
        raise Invalid.on(
            "to", f"{incident.status.value} cannot move to {to.value} (allowed: {allowed})"
        )
    if to is S.REJECTED and not reason.strip():
        raise Invalid.on("reason", "say why the report is rejected")
    at = common.now_or(now)
    before = incident.status
    counted = tally.key_of(incident)
    _stamp(incident, to, at)
    incident.status = to
    tally.move(session, counted, incident)
    incident.updated_at = at
    clocks.refresh_next_due(session, incident)
    session.flush()
    common.note(
        session,
        principal,
        incident,
        kind="status",
        summary=f"{before.value} → {to.value}" + (f": {reason.strip()}" if reason.strip() else ""),
        data={"from": before.value, "to": to.value, "reason": reason.strip()},
        before={"status": before.value},
        after={"status": to.value, "reason": reason.strip()},
        at=at,
    )
    common.tell_reporter(
        session,
        incident,
        f"status:{to.value}:{at.isoformat()}",
        f"Status: {to.value.replace('_', ' ')}",
        [f"Your incident is now {to.value.replace('_', ' ')}."]
        + ([f"Note from the CERT: {reason.strip()}"] if reason.strip() else []),
    )
    common.webhook_event(session, incident, "incident.status", at)
    return incident


def assign(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    user_id: int | None,
    now: datetime | None = None,
) -> Incident:
    """Assign the incident to an analyst of a CERT handling it (None unassigns)."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    name: str | None = None
    if user_id is not None:
        try:
            user = identity.get_user(session=session, principal=principal, user_id=user_id)
        except NotFound:
            raise Invalid.on("user_id", f"no user {user_id} you may assign") from None
        if user.role.is_constituent or not user.is_active:
            raise Invalid.on("user_id", f"{user.username} is not active CERT staff")
        line = common.tree(session)
        handlers = set(line.chain(incident.handling_cert_id)) | set(
            line.chain(incident.owner_cert_id)
        )
        if user.cert_id not in handlers:
            raise Invalid.on("user_id", f"{user.username} is not at a CERT handling the incident")
        name = user.display_name
    at = common.now_or(now)
    before = incident.assignee_user_id
    incident.assignee_user_id = user_id
    incident.updated_at = at
    session.flush()
    common.note(
        session,
        principal,
        incident,
        kind="assigned",
        summary=f"Assigned to {name}" if name else "Unassigned",
        data={"user_id": user_id, "name": name},
        before={"assignee_user_id": before},
        after={"assignee_user_id": user_id},
        internal=True,
        at=at,
    )
    return incident


def _may_take_part(session: Session, principal: Principal, incident: Incident) -> None:
    """The organisation's users, and staff of the CERTs handling it, may comment."""
    if "write" not in principal.scopes:
        raise Forbidden("this credential may not write")
    if principal.role is not None and principal.role.is_constituent:
        if principal.organisation_id != incident.organisation_id:
            raise Forbidden(f"you may not comment on incident {incident.id}")
        return
    common.fetch_for_handling(session, principal, incident.id)


def add_comment(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    body: str,
    internal: bool = False,
    now: datetime | None = None,
) -> Comment:
    """Comment on an incident. The organisation's users may comment (answer the CERT) but
    never internally; internal comments are for CERT staff. A comment from the CERT that is
    not internal is mailed to the reporter; one from the organisation to the duty desk."""
    incident = common.fetch(session, principal, incident_id)
    _may_take_part(session, principal, incident)
    if not body.strip():
        raise Invalid.on("body", "the comment is empty")
    staff = common.is_cert_staff(principal)
    if internal and not staff:
        raise Invalid.on("internal", "only CERT staff write internal notes")
    at = common.now_or(now)
    comment = Comment(
        incident_id=incident.id,
        author_user_id=principal.user_id,
        author=principal.name,
        body=body,
        internal=internal,
        created_at=at,
    )
    session.add(comment)
    session.flush()
    common.note(
        session,
        principal,
        incident,
        kind="comment",
        summary=f"Comment by {principal.name}" + (" (internal)" if internal else ""),
        data={"comment_id": comment.id},
        internal=internal,
        at=at,
    )
    if not internal:
        if staff:
            common.tell_reporter(
                session, incident, f"comment:{comment.id}", "The CERT wrote", [body]
            )
        else:
            common.tell_duty(
                session,
                incident,
                incident.handling_cert_id,
                f"comment:{comment.id}",
                "The organisation answered",
                ["The organisation added a comment; read it in the console."],
            )
    return comment


def comments(*, session: Session, principal: Principal, incident_id: int) -> list[Comment]:
    """Comments in order; internal ones only for CERT staff."""
    incident = common.fetch(session, principal, incident_id)
    stmt = select(Comment).where(Comment.incident_id == incident.id)
    if not common.is_cert_staff(principal):
        stmt = stmt.where(Comment.internal.is_(False))
    return list(session.scalars(stmt.order_by(Comment.id)))


def timeline(*, session: Session, principal: Principal, incident_id: int) -> list[TimelineEntry]:
    """Everything that happened to the incident, oldest first; internal entries only for CERT
    staff."""
    incident = common.fetch(session, principal, incident_id)
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
    if not common.is_cert_staff(principal):
        stmt = stmt.where(TimelineEntry.internal.is_(False))
    return list(session.scalars(stmt.order_by(TimelineEntry.id)))


def tasks(*, session: Session, principal: Principal, incident_id: int) -> list[Task]:
    """The incident's tasks (CERT staff only; an organisation sees none)."""
    incident = common.fetch(session, principal, incident_id)
    if not common.is_cert_staff(principal):
        return []
    return list(
        session.scalars(select(Task).where(Task.incident_id == incident.id).order_by(Task.id))
    )


def add_task(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    data: TaskIn,
    now: datetime | None = None,
) -> Task:
    """Add a task by hand."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    at = common.now_or(now)
    task = Task(
        incident_id=incident.id,
        title=data.title,
        description=data.description,
        status=TaskStatus.OPEN,
        assignee_user_id=data.assignee_user_id,
        due_at=data.due_at,
        created_at=at,
    )
    session.add(task)
    session.flush()
    common.note(
        session,
        principal,
        incident,
        kind="task_added",
        summary=f"Task added: {task.title}",
        data={"task_id": task.id},
        internal=True,
        at=at,
    )
    return task


def update_task(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    task_id: int,
    data: TaskUpdate,
    now: datetime | None = None,
) -> Task:
    """Complete, cancel, reopen or reassign a task."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    task = session.scalar(select(Task).where(Task.id == task_id, Task.incident_id == incident.id))
    if task is None:
        raise NotFound(f"task {task_id} not found on incident {incident_id}")
    at = common.now_or(now)
    before = {"status": task.status.value, "assignee_user_id": task.assignee_user_id}
    if data.status is not None:
        task.status = data.status
        task.completed_at = at if data.status is TaskStatus.DONE else None
    if "assignee_user_id" in data.model_fields_set:
        task.assignee_user_id = data.assignee_user_id
    session.flush()
    common.note(
        session,
        principal,
        incident,
        kind="task_updated",
        summary=f"Task {task.title}: {task.status.value}",
        data={"task_id": task.id, "status": task.status.value},
        before=before,
        after={"status": task.status.value, "assignee_user_id": task.assignee_user_id},
        internal=True,
        at=at,
    )
    return task


def merge(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    into_id: int,
    reason: str = "",
    now: datetime | None = None,
) -> Incident:
    """Mark ``incident_id`` a duplicate of ``into_id`` (undone by :func:`unmerge`): its
    stages stop counting, a duplicate link joins the two, both timelines say so."""
    if into_id == incident_id:
        raise Invalid.on("into_id", "an incident cannot be merged into itself")
    incident = common.fetch_for_handling(session, principal, incident_id)
    try:
        target = common.fetch_for_handling(session, principal, into_id)
    except NotFound:
        raise Invalid.on("into_id", f"no incident {into_id} you handle") from None
    if incident.status is S.DUPLICATE:
        raise Conflict(f"incident {incident_id} is already merged into {incident.merged_into_id}")
    if target.status is S.DUPLICATE:
        raise Invalid.on("into_id", f"incident {into_id} is itself a duplicate")
    at = common.now_or(now)
    counted = tally.key_of(incident)
    incident.status_before_merge = incident.status.value
    incident.status = S.DUPLICATE
    tally.move(session, counted, incident)
    incident.merged_into_id = target.id
    incident.updated_at = at
    clocks.refresh_next_due(session, incident)
    low, high = sorted((incident.id, target.id))
    session.add(
        IncidentLink(
            owner_cert_id=target.handling_cert_id,
            incident_id=low,
            other_incident_id=high,
            kind=LinkKind.DUPLICATE,
            reason=reason,
            created_by=principal.name,
            created_at=at,
        )
    )
    session.flush()
    common.note(
        session,
        principal,
        incident,
        kind="merged",
        summary=f"Merged into {target.reference}" + (f": {reason}" if reason else ""),
        data={"into_id": target.id, "reason": reason},
        before={"status": incident.status_before_merge},
        after={"status": S.DUPLICATE.value, "merged_into_id": target.id},
        at=at,
    )
    common.note(
        session,
        principal,
        target,
        kind="merged_in",
        summary=f"{incident.reference} merged into this incident",
        data={"incident_id": incident.id},
        at=at,
        audited=False,
    )
    return incident


def unmerge(
    *, session: Session, principal: Principal, incident_id: int, now: datetime | None = None
) -> Incident:
    """Undo a merge: the incident gets back the status it had, its deadlines count again."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    if incident.status is not S.DUPLICATE or incident.merged_into_id is None:
        raise Invalid.on("incident_id", f"incident {incident_id} is not merged")
    at = common.now_or(now)
    target_id = incident.merged_into_id
    counted = tally.key_of(incident)
    incident.status = S(incident.status_before_merge or S.TRIAGED.value)
    tally.move(session, counted, incident)
    incident.merged_into_id = None
    incident.status_before_merge = None
    incident.updated_at = at
    low, high = sorted((incident.id, target_id))
    for link_row in session.scalars(
        select(IncidentLink).where(
            IncidentLink.incident_id == low,
            IncidentLink.other_incident_id == high,
            IncidentLink.kind == LinkKind.DUPLICATE,
        )
    ):
        session.delete(link_row)
    session.flush()
    clocks.refresh_next_due(session, incident)
    common.note(
        session,
        principal,
        incident,
        kind="unmerged",
        summary=f"Merge undone; back to {incident.status.value}",
        data={"was_merged_into": target_id},
        before={"status": S.DUPLICATE.value, "merged_into_id": target_id},
        after={"status": incident.status.value, "merged_into_id": None},
        at=at,
    )
    return incident


def _link_read(link_row: IncidentLink, me: int, other: Incident, visible: bool) -> LinkRead:
    return LinkRead(
        id=link_row.id,
        kind=link_row.kind,
        other_incident_id=other.id,
        other_reference=other.reference if visible else None,
        other_title=other.title if visible else None,
        other_cert_id=other.owner_cert_id,
        observable_kind=link_row.observable_kind,
        reason=link_row.reason,
        created_at=link_row.created_at,
    )


def link(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    other_incident_id: int,
    reason: str = "",
    now: datetime | None = None,
) -> LinkRead:
    """Link two incidents by hand (both must be visible to the principal, who handles one)."""
    if other_incident_id == incident_id:
        raise Invalid.on("other_incident_id", "an incident cannot be linked to itself")
    incident = common.fetch_for_handling(session, principal, incident_id)
    try:
        other = common.fetch(session, principal, other_incident_id)
    except NotFound:
        raise Invalid.on("other_incident_id", f"no incident {other_incident_id}") from None
    low, high = sorted((incident.id, other.id))
    known = session.scalar(
        select(IncidentLink.id).where(
            IncidentLink.incident_id == low,
            IncidentLink.other_incident_id == high,
            IncidentLink.kind == LinkKind.RELATED,
        )
    )
    if known is not None:
        raise Conflict(f"incidents {low} and {high} are already linked")
    at = common.now_or(now)
    owner = nearest_common_cert(session, incident.owner_cert_id, other.owner_cert_id)
    row = IncidentLink(
        owner_cert_id=owner or incident.handling_cert_id,
        incident_id=low,
        other_incident_id=high,
        kind=LinkKind.RELATED,
        reason=reason,
        created_by=principal.name,
        created_at=at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="incident_link.create",
        object_type="incident_link",
        object_id=row.id,
        after={"incidents": [low, high], "reason": reason},
        owner_cert_id=row.owner_cert_id,
    )
    for mine, theirs in ((incident, other), (other, incident)):
        common.note(
            session,
            principal,
            mine,
            kind="linked",
            summary=f"Linked to {theirs.reference}",
            data={"link_id": row.id},
            internal=True,
            at=at,
            audited=False,
        )
    return _link_read(row, incident.id, other, True)


def unlink(*, session: Session, principal: Principal, incident_id: int, link_id: int) -> None:
    """Remove a link of the incident."""
    incident = common.fetch_for_handling(session, principal, incident_id)
    row = session.scalar(
        select(IncidentLink).where(
            IncidentLink.id == link_id,
            or_(
                IncidentLink.incident_id == incident.id,
                IncidentLink.other_incident_id == incident.id,
            ),
        )
    )
    if row is None:
        raise NotFound(f"link {link_id} not found on incident {incident_id}")
    if row.kind is LinkKind.DUPLICATE:
        raise Invalid.on("link_id", "a duplicate link goes with unmerge")
    before = {"incidents": [row.incident_id, row.other_incident_id], "kind": row.kind.value}
    session.delete(row)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="incident_link.delete",
        object_type="incident_link",
        object_id=link_id,
        before=before,
        owner_cert_id=incident.owner_cert_id,
    )
    common.note(
        session,
        principal,
        incident,
        kind="unlinked",
        summary=f"Link {link_id} removed",
        data={"link_id": link_id},
        internal=True,
        audited=False,
    )


def links(*, session: Session, principal: Principal, incident_id: int) -> list[LinkRead]:
    """The incident's links (correlations included), showing of each other incident only
    what its TLP lets the principal see. An organisation's users see none: that another
    incident shares their indicators is the CERTs' to know."""
    incident = common.fetch(session, principal, incident_id)
    if not common.is_cert_staff(principal):
        return []
    rows = list(
        session.scalars(
            select(IncidentLink)
            .where(
                or_(
                    IncidentLink.incident_id == incident.id,
                    IncidentLink.other_incident_id == incident.id,
                )
            )
            .order_by(IncidentLink.id)
        )
    )
    others = [r.other_incident_id if r.incident_id == incident.id else r.incident_id for r in rows]
    visible = visible_ids(session, principal, others)
    found = (
        {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(others)))}
        if others
        else {}
    )
    return [
        _link_read(r, incident.id, found[o], o in visible)
        for r, o in zip(rows, others, strict=True)
        if o in found
    ]


_ = access
