"""REST routes of the incidents domain: thin — parse, call one service function, render."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import Response as RawResponse

from certnet.config import Settings
from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.incidents import service
from certnet.incidents.models import Channel, Incident, IncidentStatus, Severity
from certnet.incidents.schemas import (
    AssignIn,
    CommentIn,
    CommentRead,
    CorrelationHit,
    CorrelationRead,
    CustodyRead,
    DailyCount,
    DelegateIn,
    EscalateIn,
    EvidenceRead,
    IncidentFilter,
    IncidentRead,
    IncidentReport,
    IncidentSummary,
    LinkIn,
    LinkRead,
    MergeIn,
    Metrics,
    ObservableIn,
    ObservableRead,
    QueueCounts,
    StageRead,
    StageReportIn,
    TaskIn,
    TaskRead,
    TaskUpdate,
    TimelineRead,
    TransitionIn,
    WebhookIn,
    WebhookRead,
)
from certnet.incidents.service.queue import Order

router = APIRouter(prefix="/incidents", tags=["incidents"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _read(incident: Incident) -> IncidentRead:
    return IncidentRead.model_validate(incident)


def _filters(
    status: list[IncidentStatus] | None,
    severity: list[Severity] | None,
    tlp: list[str] | None,
    rsit_class: str | None,
    sector: str | None,
    organisation_id: int | None,
    handling_cert_id: int | None,
    assignee_user_id: int | None,
    deadline: str | None,
    open_only: bool,
    q: str | None,
) -> IncidentFilter:
    return IncidentFilter(
        status=status or [],
        severity=severity or [],
        tlp=tlp or [],
        rsit_class=rsit_class,
        sector=sector,
        organisation_id=organisation_id,
        handling_cert_id=handling_cert_id,
        assignee_user_id=assignee_user_id,
        deadline=deadline,
        open_only=open_only,
        q=q,
    )


StatusQ = Annotated[list[IncidentStatus] | None, Query()]
SeverityQ = Annotated[list[Severity] | None, Query()]
TlpQ = Annotated[list[str] | None, Query(description="TLP labels")]
DeadlineQ = Annotated[
    str | None, Query(description="overdue, due_soon, on_track or none (nothing owed)")
]


@router.post("", response_model=IncidentRead, status_code=201)
def report(
    request: Request, session: SessionDep, principal: PrincipalDep, data: IncidentReport
) -> IncidentRead:
    """Report an incident. It lands at the reporting organisation's owning CERT; the routing
    rules may send it up the line. Bad input: 422 naming every bad field, nothing written."""
    return _read(
        service.report(
            session=session,
            principal=principal,
            data=data,
            channel=Channel.API,
            settings=_settings(request),
        )
    )


@router.get("", response_model=PageOut[IncidentSummary])
def list_incidents(
    session: SessionDep,
    principal: PrincipalDep,
    status: StatusQ = None,
    severity: SeverityQ = None,
    tlp: TlpQ = None,
    rsit_class: str | None = None,
    sector: str | None = None,
    organisation_id: int | None = None,
    handling_cert_id: int | None = None,
    assignee_user_id: int | None = None,
    deadline: DeadlineQ = None,
    open_only: bool = False,
    q: str | None = None,
    order: Order = "newest",
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[IncidentSummary]:
    """The queue: incidents you may see, filtered and sorted, a page at a time."""
    page = service.list_incidents(
        session=session,
        principal=principal,
        filters=_filters(
            status,
            severity,
            tlp,
            rsit_class,
            sector,
            organisation_id,
            handling_cert_id,
            assignee_user_id,
            deadline,
            open_only,
            q,
        ),
        cursor=cursor,
        limit=limit,
        order=order,
    )
    return PageOut(
        items=[IncidentSummary.model_validate(i) for i in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/counts", response_model=QueueCounts)
def counts(
    session: SessionDep,
    principal: PrincipalDep,
    severity: SeverityQ = None,
    tlp: TlpQ = None,
    rsit_class: str | None = None,
    sector: str | None = None,
    organisation_id: int | None = None,
    handling_cert_id: int | None = None,
    assignee_user_id: int | None = None,
    open_only: bool = False,
    q: str | None = None,
) -> QueueCounts:
    """Counts of the queue per status and per deadline state."""
    return service.counts(
        session=session,
        principal=principal,
        filters=_filters(
            None,
            severity,
            tlp,
            rsit_class,
            sector,
            organisation_id,
            handling_cert_id,
            assignee_user_id,
            None,
            open_only,
            q,
        ),
    )


@router.get("/metrics", response_model=Metrics)
def metrics(
    session: SessionDep,
    principal: PrincipalDep,
    group_by: Literal["cert", "sector"] | None = None,
    cert_id: int | None = None,
    sector: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Metrics:
    """Handling times and reporting clocks met, overall and per CERT or sector."""
    return service.metrics(
        session=session,
        principal=principal,
        group_by=group_by,
        cert_id=cert_id,
        sector=sector,
        since=since,
        until=until,
    )


@router.get("/metrics/daily", response_model=list[DailyCount])
def daily(
    session: SessionDep,
    principal: PrincipalDep,
    by: Literal["rsit_class", "sector"] = "rsit_class",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[DailyCount]:
    """Incidents reported per day and per RSIT class or sector."""
    return service.daily_counts(
        session=session, principal=principal, by=by, since=since, until=until
    )


@router.get("/correlations", response_model=list[CorrelationRead])
def correlations(
    session: SessionDep, principal: PrincipalDep, limit: Limit = 100
) -> list[CorrelationRead]:
    """Correlations your CERT is told of, each side as far as its TLP lets you see it."""
    return service.correlations(session=session, principal=principal, limit=limit)


@router.get("/observables/lookup", response_model=list[CorrelationHit])
def lookup(
    session: SessionDep,
    principal: PrincipalDep,
    value: str,
    kind: str | None = None,
    limit: Limit = 100,
) -> list[CorrelationHit]:
    """Incidents you may see that carry this observable (normalised first)."""
    return service.lookup(session=session, principal=principal, value=value, kind=kind, limit=limit)


@router.get("/taxonomy")
def taxonomy() -> dict[str, Any]:
    """RSIT classes and types, the CERT-In 20 types and the NIS2 fields a report may use."""
    return {
        "rsit": service.rsit_classes(),
        "certin": service.certin_types(),
        "nis2": service.nis2_mapping(),
    }


@router.get("/rules")
def rules(session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """The routing and escalation rules in force."""
    return service.routing_rules(session=session, principal=principal)


@router.put("/rules")
def set_rules(session: SessionDep, principal: PrincipalDep, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the routing rules (the National CERT only)."""
    return service.set_routing_rules(session=session, principal=principal, rules=data)


@router.get("/playbooks")
def playbooks(session: SessionDep, principal: PrincipalDep) -> dict[str, list[dict[str, Any]]]:
    """The playbook of each RSIT class."""
    return service.playbooks(session=session, principal=principal)


@router.put("/playbooks/{rsit_class}")
def set_playbook(
    session: SessionDep, principal: PrincipalDep, rsit_class: str, steps: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replace the playbook of an RSIT class (the National CERT only)."""
    return service.set_playbook(
        session=session, principal=principal, rsit_class=rsit_class, steps=steps
    )


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(session: SessionDep, principal: PrincipalDep) -> list[WebhookRead]:
    """Your CERTs' webhooks (secrets are never shown)."""
    return [
        WebhookRead.model_validate(w)
        for w in service.list_webhooks(session=session, principal=principal)
    ]


@router.post("/webhooks", response_model=WebhookRead, status_code=201)
def create_webhook(
    session: SessionDep, principal: PrincipalDep, data: WebhookIn, cert_id: int | None = None
) -> WebhookRead:
    """Register an endpoint for incident events, signed with HMAC-SHA256 of your secret."""
    return WebhookRead.model_validate(
        service.create_webhook(session=session, principal=principal, data=data, cert_id=cert_id)
    )


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(session: SessionDep, principal: PrincipalDep, webhook_id: int) -> Response:
    """Remove a webhook."""
    service.delete_webhook(session=session, principal=principal, webhook_id=webhook_id)
    return Response(status_code=204)


@router.get("/{incident_id}", response_model=IncidentRead)
def get(session: SessionDep, principal: PrincipalDep, incident_id: int) -> IncidentRead:
    """One incident."""
    return _read(service.get(session=session, principal=principal, incident_id=incident_id))


@router.post("/{incident_id}/transition", response_model=IncidentRead)
def transition(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: TransitionIn
) -> IncidentRead:
    """Move the incident along the workflow."""
    return _read(
        service.transition(
            session=session,
            principal=principal,
            incident_id=incident_id,
            to=data.to,
            reason=data.reason,
        )
    )


@router.post("/{incident_id}/assign", response_model=IncidentRead)
def assign(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: AssignIn
) -> IncidentRead:
    """Assign the incident to an analyst (null unassigns)."""
    return _read(
        service.assign(
            session=session, principal=principal, incident_id=incident_id, user_id=data.user_id
        )
    )


@router.post("/{incident_id}/escalate", response_model=IncidentRead)
def escalate(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: EscalateIn
) -> IncidentRead:
    """Escalate to a CERT above the handler (its parent when none is named)."""
    return _read(
        service.escalate(
            session=session,
            principal=principal,
            incident_id=incident_id,
            to_cert_id=data.to_cert_id,
            reason=data.reason,
        )
    )


@router.post("/{incident_id}/delegate", response_model=IncidentRead)
def delegate(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: DelegateIn
) -> IncidentRead:
    """Delegate to a CERT below the handler."""
    return _read(
        service.delegate(
            session=session,
            principal=principal,
            incident_id=incident_id,
            to_cert_id=data.to_cert_id,
            reason=data.reason,
        )
    )


@router.get("/{incident_id}/stages", response_model=list[StageRead])
def stages(session: SessionDep, principal: PrincipalDep, incident_id: int) -> list[StageRead]:
    """The reporting stages: due, submitted, late."""
    return service.stages(session=session, principal=principal, incident_id=incident_id)


@router.post("/{incident_id}/stages/{clock_id}", response_model=list[StageRead])
def submit_stage(
    session: SessionDep,
    principal: PrincipalDep,
    incident_id: int,
    clock_id: str,
    data: StageReportIn,
) -> list[StageRead]:
    """Submit a stage report (the organisation, or its CERT on its behalf)."""
    service.submit_stage(
        session=session,
        principal=principal,
        incident_id=incident_id,
        clock_id=clock_id,
        report=data.report,
    )
    return service.stages(session=session, principal=principal, incident_id=incident_id)


@router.get("/{incident_id}/observables", response_model=list[ObservableRead])
def observables(
    session: SessionDep, principal: PrincipalDep, incident_id: int
) -> list[ObservableRead]:
    """The incident's observables, normalised."""
    return [
        ObservableRead.model_validate(o)
        for o in service.observables(session=session, principal=principal, incident_id=incident_id)
    ]


@router.post("/{incident_id}/observables", response_model=list[ObservableRead], status_code=201)
def add_observables(
    session: SessionDep, principal: PrincipalDep, incident_id: int, items: list[ObservableIn]
) -> list[ObservableRead]:
    """Add observables; shared ones link other incidents."""
    return [
        ObservableRead.model_validate(o)
        for o in service.add_observables(
            session=session, principal=principal, incident_id=incident_id, items=items
        )
    ]


@router.get("/{incident_id}/timeline", response_model=list[TimelineRead])
def timeline(session: SessionDep, principal: PrincipalDep, incident_id: int) -> list[TimelineRead]:
    """Everything that happened to the incident."""
    return [
        TimelineRead.model_validate(e)
        for e in service.timeline(session=session, principal=principal, incident_id=incident_id)
    ]


@router.get("/{incident_id}/comments", response_model=list[CommentRead])
def comments(session: SessionDep, principal: PrincipalDep, incident_id: int) -> list[CommentRead]:
    """Comments (internal notes only for CERT staff)."""
    return [
        CommentRead.model_validate(c)
        for c in service.comments(session=session, principal=principal, incident_id=incident_id)
    ]


@router.post("/{incident_id}/comments", response_model=CommentRead, status_code=201)
def add_comment(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: CommentIn
) -> CommentRead:
    """Comment; the organisation answers the CERT this way."""
    return CommentRead.model_validate(
        service.add_comment(
            session=session,
            principal=principal,
            incident_id=incident_id,
            body=data.body,
            internal=data.internal,
        )
    )


@router.get("/{incident_id}/tasks", response_model=list[TaskRead])
def tasks(session: SessionDep, principal: PrincipalDep, incident_id: int) -> list[TaskRead]:
    """The incident's tasks."""
    return [
        TaskRead.model_validate(t)
        for t in service.tasks(session=session, principal=principal, incident_id=incident_id)
    ]


@router.post("/{incident_id}/tasks", response_model=TaskRead, status_code=201)
def add_task(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: TaskIn
) -> TaskRead:
    """Add a task."""
    return TaskRead.model_validate(
        service.add_task(session=session, principal=principal, incident_id=incident_id, data=data)
    )


@router.patch("/{incident_id}/tasks/{task_id}", response_model=TaskRead)
def update_task(
    session: SessionDep, principal: PrincipalDep, incident_id: int, task_id: int, data: TaskUpdate
) -> TaskRead:
    """Complete, cancel, reopen or reassign a task."""
    return TaskRead.model_validate(
        service.update_task(
            session=session,
            principal=principal,
            incident_id=incident_id,
            task_id=task_id,
            data=data,
        )
    )


@router.get("/{incident_id}/evidence", response_model=list[EvidenceRead])
def evidence(session: SessionDep, principal: PrincipalDep, incident_id: int) -> list[EvidenceRead]:
    """Evidence files: name, type, size, SHA-256, uploader."""
    return [
        EvidenceRead.model_validate(e)
        for e in service.evidence(session=session, principal=principal, incident_id=incident_id)
    ]


@router.post("/{incident_id}/evidence", response_model=EvidenceRead, status_code=201)
async def upload_evidence(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    incident_id: int,
    file: Annotated[UploadFile, File(description="The evidence file")],
    description: Annotated[str, Form()] = "",
) -> EvidenceRead:
    """Upload an evidence file (multipart); stored with its SHA-256, custody logged."""
    content = await file.read()
    return EvidenceRead.model_validate(
        service.add_evidence(
            session=session,
            principal=principal,
            settings=_settings(request),
            incident_id=incident_id,
            filename=file.filename or "",
            content_type=file.content_type or "application/octet-stream",
            content=content,
            description=description,
        )
    )


@router.get("/{incident_id}/evidence/{evidence_id}/content")
def download_evidence(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    incident_id: int,
    evidence_id: int,
) -> RawResponse:
    """The file's bytes (checked against its SHA-256); the access is logged."""
    item, content = service.read_evidence(
        session=session,
        principal=principal,
        settings=_settings(request),
        incident_id=incident_id,
        evidence_id=evidence_id,
    )
    return RawResponse(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{item.filename.replace(chr(34), "")}"',
            "Digest": "sha-256=" + base64.b64encode(bytes.fromhex(item.sha256)).decode(),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/{incident_id}/evidence/{evidence_id}/custody", response_model=list[CustodyRead])
def custody(
    session: SessionDep, principal: PrincipalDep, incident_id: int, evidence_id: int
) -> list[CustodyRead]:
    """Chain of custody: every store and read of the file."""
    return [
        CustodyRead.model_validate(c)
        for c in service.custody(
            session=session, principal=principal, incident_id=incident_id, evidence_id=evidence_id
        )
    ]


@router.post("/{incident_id}/merge", response_model=IncidentRead)
def merge(
    session: SessionDep, principal: PrincipalDep, incident_id: int, data: MergeIn
) -> IncidentRead:
    """Mark the incident a duplicate of another (undo with unmerge)."""
    return _read(
        service.merge(
            session=session,
            principal=principal,
            incident_id=incident_id,
            into_id=data.into_id,
            reason=data.reason,
        )
    )


@router.post("/{incident_id}/unmerge", response_model=IncidentRead)
def unmerge(session: SessionDep, principal: PrincipalDep, incident_id: int) -> IncidentRead:
    """Undo a merge."""
    return _read(service.unmerge(session=session, principal=principal, incident_id=incident_id))


@router.get("/{incident_id}/links", response_model=list[LinkRead])
def links(session: SessionDep, principal: PrincipalDep, incident_id: int) -> list[LinkRead]:
    """Links and correlations of the incident."""
    return service.links(session=session, principal=principal, incident_id=incident_id)


@router.post("/{incident_id}/links", response_model=LinkRead, status_code=201)
def link(session: SessionDep, principal: PrincipalDep, incident_id: int, data: LinkIn) -> LinkRead:
    """Link another incident."""
    return service.link(
        session=session,
        principal=principal,
        incident_id=incident_id,
        other_incident_id=data.other_incident_id,
        reason=data.reason,
    )


@router.delete("/{incident_id}/links/{link_id}", status_code=204)
def unlink(
    session: SessionDep, principal: PrincipalDep, incident_id: int, link_id: int
) -> Response:
    """Remove a link."""
    service.unlink(session=session, principal=principal, incident_id=incident_id, link_id=link_id)
    return Response(status_code=204)
