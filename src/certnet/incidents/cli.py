"""``certnet incidents``: report, list, show and handle incidents from a shell."""

from __future__ import annotations

import json
import mimetypes
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, fail, out
from certnet.config import get_settings
from certnet.core.errors import FieldError
from certnet.incidents import service
from certnet.incidents.models import Channel, IncidentStatus
from certnet.incidents.schemas import (
    AttachmentIn,
    EvidenceRead,
    IncidentFilter,
    IncidentRead,
    IncidentReport,
    IncidentSummary,
    ObservableIn,
    StageRead,
    TimelineRead,
)

app = typer.Typer(help="Incident reports and case handling.", no_args_is_help=True)
playbook_app = typer.Typer(help="Playbooks per RSIT class.", no_args_is_help=True)
rules_app = typer.Typer(help="Routing and escalation rules.", no_args_is_help=True)
app.add_typer(playbook_app, name="playbook")
app.add_typer(rules_app, name="rules")

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")


def _invalid(exc: ValidationError) -> typer.Exit:
    errors = [
        FieldError(".".join(str(p) for p in e["loc"]) or "report", e["msg"]) for e in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.reason}" for e in errors)
    return fail(f"the report is invalid: {detail}", EXIT_INVALID)


def _dump(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command("report")
def report(
    title: str = typer.Option(..., help="A short title"),
    organisation_id: int | None = typer.Option(None, "--organisation", help="Reporting org id"),
    became_aware: datetime = typer.Option(..., help="When the organisation became aware (UTC)"),
    started: datetime | None = typer.Option(None, help="When the incident started (UTC)"),
    rsit_class: str = typer.Option(..., "--class", help="RSIT class, e.g. intrusions"),
    rsit_type: str = typer.Option(..., "--type", help="RSIT type, e.g. system-compromise"),
    severity: str = typer.Option("medium", help="low, medium, high or critical"),
    tlp: str = typer.Option("AMBER", help="TLP 2.0 label"),
    description: str = typer.Option("", help="What happened"),
    observable: list[str] = typer.Option([], "--observable", "-o", help="An indicator (repeat)"),
    attach: list[Path] = typer.Option(
        [], "--attach", exists=True, dir_okay=False, help="A file to keep as evidence (repeat)"
    ),
    from_json: Path | None = typer.Option(
        None, "--from-json", exists=True, dir_okay=False, help="A report as JSON (API shape)"
    ),
    cii: bool = typer.Option(False, help="Critical information infrastructure is involved"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Report an incident for an organisation (your own, for a constituent's user)."""

    try:
        if from_json is not None:
            data = IncidentReport.model_validate_json(from_json.read_bytes())
        else:
            data = IncidentReport(
                organisation_id=organisation_id,
                title=title,
                description=description,
                became_aware_at=_utc(became_aware),
                started_at=_utc(started) if started else None,
                rsit_class=rsit_class,
                rsit_type=rsit_type,
                severity=severity,
                tlp=tlp,
                impact={"cii_involved": cii},
                observables=[ObservableIn(value=v) for v in observable],
                attachments=[
                    AttachmentIn.of(
                        p.name,
                        mimetypes.guess_type(p.name)[0] or "application/octet-stream",
                        p.read_bytes(),
                    )
                    for p in attach
                ],
            )
    except ValidationError as exc:
        raise _invalid(exc) from None
    with command(as_user) as (session, principal):
        incident = service.report(
            session=session,
            principal=principal,
            data=data,
            channel=Channel.CLI,
            settings=get_settings(),
        )
        read = IncidentRead.model_validate(incident)
    if as_json:
        emit_one(read, as_json=True)
        return
    out.print(
        f"reported {read.reference} (id {read.id}) at CERT {read.owner_cert_id}, "
        f"handled by CERT {read.handling_cert_id}",
        highlight=False,
    )


def _utc(moment: datetime) -> datetime:
    """A time from the command line: without a zone it is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("list")
def list_incidents(
    status: list[IncidentStatus] = typer.Option([], "--status", help="Filter (repeat)"),
    deadline: str | None = typer.Option(None, help="overdue, due_soon, on_track or none"),
    sector: str | None = typer.Option(None),
    rsit_class: str | None = typer.Option(None, "--class"),
    q: str | None = typer.Option(None, help="Words in the title"),
    order: str = typer.Option("newest", help="newest, oldest, due or severity"),
    cursor: str | None = typer.Option(None),
    limit: int = typer.Option(50, min=1, max=1000),
    counts: bool = typer.Option(False, "--counts", help="Print counts per status and deadline"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """The queue: incidents you may see, filtered."""
    if order not in ("newest", "oldest", "due", "severity"):
        raise fail("--order: expected newest, oldest, due or severity", EXIT_INVALID)
    filters = IncidentFilter(
        status=status, deadline=deadline, sector=sector, rsit_class=rsit_class, q=q
    )
    with command(as_user) as (session, principal):
        if counts:
            emit_one(
                service.counts(session=session, principal=principal, filters=filters),
                as_json=as_json,
            )
            return
        page = service.list_incidents(
            session=session,
            principal=principal,
            filters=filters,
            cursor=cursor,
            limit=limit,
            order=order,  # type: ignore[arg-type]
        )
        rows = [IncidentSummary.model_validate(i) for i in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=(
            "id",
            "reference",
            "status",
            "severity",
            "rsit_type",
            "tlp",
            "next_due_at",
            "title",
        ),
        title="incidents",
        next_cursor=page.next_cursor,
    )


@app.command("show")
def show(
    incident_id: int,
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """One incident with its stages, timeline and evidence."""
    with command(as_user) as (session, principal):
        incident = IncidentRead.model_validate(
            service.get(session=session, principal=principal, incident_id=incident_id)
        )
        stages = service.stages(session=session, principal=principal, incident_id=incident_id)
        timeline = [
            TimelineRead.model_validate(e)
            for e in service.timeline(session=session, principal=principal, incident_id=incident_id)
        ]
        files = [
            EvidenceRead.model_validate(e)
            for e in service.evidence(session=session, principal=principal, incident_id=incident_id)
        ]
    if as_json:
        _dump(
            {
                "incident": incident.model_dump(mode="json"),
                "stages": [s.model_dump(mode="json") for s in stages],
                "timeline": [t.model_dump(mode="json") for t in timeline],
                "evidence": [f.model_dump(mode="json") for f in files],
            }
        )
        return
    emit_one(incident, as_json=False)
    emit(
        stages,
        as_json=False,
        columns=("clock_id", "due_at", "submitted_at", "state"),
        title="stages",
    )
    emit(timeline, as_json=False, columns=("at", "actor", "kind", "summary"), title="timeline")


def _print(incident: Any, as_json: bool) -> None:
    read = IncidentRead.model_validate(incident)
    if as_json:
        emit_one(read, as_json=True)
    else:
        out.print(
            f"{read.reference}: {read.status.value}, handled by CERT {read.handling_cert_id}",
            highlight=False,
        )


@app.command("transition")
def transition(
    incident_id: int,
    to: IncidentStatus = typer.Argument(..., help="The new status"),
    reason: str = typer.Option("", help="Why (required to reject)"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Move an incident along the workflow."""
    with command(as_user) as (session, principal):
        incident = service.transition(
            session=session, principal=principal, incident_id=incident_id, to=to, reason=reason
        )
        _print(incident, as_json)


@app.command("assign")
def assign(
    incident_id: int,
    user_id: int | None = typer.Argument(None, help="The analyst's user id; omit to unassign"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Assign an incident to an analyst."""
    with command(as_user) as (session, principal):
        _print(
            service.assign(
                session=session, principal=principal, incident_id=incident_id, user_id=user_id
            ),
            as_json,
        )


@app.command("escalate")
def escalate(
    incident_id: int,
    reason: str = typer.Option(..., help="Why"),
    to: int | None = typer.Option(None, "--to", help="A CERT above (default: the parent)"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Escalate an incident up the reporting line."""
    with command(as_user) as (session, principal):
        _print(
            service.escalate(
                session=session,
                principal=principal,
                incident_id=incident_id,
                reason=reason,
                to_cert_id=to,
            ),
            as_json,
        )


@app.command("delegate")
def delegate(
    incident_id: int,
    to: int = typer.Option(..., "--to", help="A CERT below the handler"),
    reason: str = typer.Option(..., help="Why"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Delegate an incident down the reporting line."""
    with command(as_user) as (session, principal):
        _print(
            service.delegate(
                session=session,
                principal=principal,
                incident_id=incident_id,
                to_cert_id=to,
                reason=reason,
            ),
            as_json,
        )


@app.command("stage")
def stage(
    incident_id: int,
    clock_id: str = typer.Argument(..., help="The stage, e.g. initial_report"),
    report_text: str = typer.Option(..., "--report", help="The stage report"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Submit a stage report."""
    with command(as_user) as (session, principal):
        service.submit_stage(
            session=session,
            principal=principal,
            incident_id=incident_id,
            clock_id=clock_id,
            report=report_text,
        )
        stages: list[StageRead] = service.stages(
            session=session, principal=principal, incident_id=incident_id
        )
    emit(stages, as_json=as_json, columns=("clock_id", "due_at", "submitted_at", "state"))


@app.command("comment")
def comment(
    incident_id: int,
    body: str = typer.Argument(...),
    internal: bool = typer.Option(False, help="A note for CERT staff only"),
    as_user: str | None = AsUser,
) -> None:
    """Comment on an incident."""
    with command(as_user) as (session, principal):
        service.add_comment(
            session=session,
            principal=principal,
            incident_id=incident_id,
            body=body,
            internal=internal,
        )
    out.print("comment added")


@app.command("evidence")
def evidence(
    incident_id: int,
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    description: str = typer.Option(""),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Add an evidence file (SHA-256 recorded, custody logged)."""
    with command(as_user) as (session, principal):
        item = service.add_evidence(
            session=session,
            principal=principal,
            settings=get_settings(),
            incident_id=incident_id,
            filename=path.name,
            content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            content=path.read_bytes(),
            description=description,
        )
        emit_one(EvidenceRead.model_validate(item), as_json=as_json)


@app.command("merge")
def merge(
    incident_id: int,
    into: int = typer.Option(..., "--into", help="The incident it duplicates"),
    reason: str = typer.Option(""),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Merge a duplicate into another incident."""
    with command(as_user) as (session, principal):
        _print(
            service.merge(
                session=session,
                principal=principal,
                incident_id=incident_id,
                into_id=into,
                reason=reason,
            ),
            as_json,
        )


@app.command("unmerge")
def unmerge(incident_id: int, as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """Undo a merge."""
    with command(as_user) as (session, principal):
        _print(
            service.unmerge(session=session, principal=principal, incident_id=incident_id), as_json
        )


@app.command("lookup")
def lookup(
    value: str,
    kind: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Incidents carrying an observable."""
    with command(as_user) as (session, principal):
        hits = service.lookup(session=session, principal=principal, value=value, kind=kind)
    emit(hits, as_json=as_json, columns=("incident_id", "reference", "kind", "value", "title"))


@app.command("metrics")
def metrics(
    group_by: str | None = typer.Option(None, help="cert or sector"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Handling times and clocks met."""
    if group_by not in (None, "cert", "sector"):
        raise fail("--group-by: expected cert or sector", EXIT_INVALID)
    with command(as_user) as (session, principal):
        result = service.metrics(session=session, principal=principal, group_by=group_by)  # type: ignore[arg-type]
    emit_one(result, as_json=as_json)


@app.command("remind")
def remind(as_json: bool = JsonOption) -> None:
    """Send due reminders and overdue flags now (the job does this every few minutes)."""
    with command(None) as (session, _principal):
        result = service.send_reminders(session=session)
    emit_one(result, as_json=as_json)


@rules_app.command("show")
def rules_show(as_user: str | None = AsUser) -> None:
    """The routing rules in force (JSON)."""
    with command(as_user) as (session, principal):
        _dump(service.routing_rules(session=session, principal=principal))


@rules_app.command("set")
def rules_set(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Rules as JSON"),
    as_user: str | None = AsUser,
) -> None:
    """Replace the routing rules (the National CERT only)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise fail(f"{path}: not JSON: {exc}", EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        _dump(service.set_routing_rules(session=session, principal=principal, rules=document))


@playbook_app.command("show")
def playbook_show(as_user: str | None = AsUser) -> None:
    """Every playbook (JSON)."""
    with command(as_user) as (session, principal):
        _dump(service.playbooks(session=session, principal=principal))


@playbook_app.command("set")
def playbook_set(
    rsit_class: str,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Steps as a JSON list"),
    as_user: str | None = AsUser,
) -> None:
    """Replace the playbook of an RSIT class (the National CERT only)."""
    try:
        steps = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise fail(f"{path}: not JSON: {exc}", EXIT_INVALID) from None
    if not isinstance(steps, list):
        raise fail(f"{path}: expected a JSON list of steps", EXIT_INVALID)
    with command(as_user) as (session, principal):
        _dump(
            service.set_playbook(
                session=session, principal=principal, rsit_class=rsit_class, steps=steps
            )
        )
