"""The incident page and every action on it: workflow, assignment, escalation and
delegation, merge and links, observables, tasks, the conversation, stage reports, evidence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from certnet.constituency import service as constituency
from certnet.core import clock
from certnet.core.errors import Invalid
from certnet.incidents import service
from certnet.incidents.models import Incident, IncidentStatus
from certnet.incidents.schemas import (
    ObservableIn,
    TaskIn,
    TaskUpdate,
)
from certnet.incidents.service.cases import TRANSITIONS
from certnet.incidents.views.common import (
    DONE,
    form_errors,
    is_constituent,
    names_for,
    settings_of,
    staff_of,
    text_lines,
    whole_number,
)
from certnet.incidents.views.queue import deadline_state
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    status_of,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _cert_choices(console: Console, incident: Incident) -> tuple[list[Any], list[Any]]:
    """CERTs the handler could escalate to (above it) and delegate to (below it)."""
    session, principal = console.session, console.principal
    certs = {c.id: c for c in constituency.all_certs(session=session, principal=principal)}
    tree = constituency.cert_tree(session=session)
    above = [certs[c] for c in tree.chain(incident.handling_cert_id)[1:] if c in certs]
    below_ids = tree.descendants(incident.handling_cert_id) - {incident.handling_cert_id}
    below = sorted((certs[c] for c in below_ids if c in certs), key=lambda c: c.short_name)
    return above, below


def _incident_page(
    console: Console,
    incident_id: int,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    session, principal = console.session, console.principal
    incident = service.get(session=session, principal=principal, incident_id=incident_id)
    constituent = is_constituent(console)
    staff = staff_of(console)
    evidence = service.evidence(session=session, principal=principal, incident_id=incident_id)
    custody = {
        e.id: service.custody(
            session=session, principal=principal, incident_id=incident_id, evidence_id=e.id
        )
        for e in evidence
    }
    links = service.links(session=session, principal=principal, incident_id=incident_id)
    above, below = ([], []) if constituent else _cert_choices(console, incident)
    names = names_for(console, [incident.organisation_id], staff)
    stages = service.stages(session=session, principal=principal, incident_id=incident_id)
    next_stage = next((s for s in stages if s.submitted_at is None), None)
    return console.render(
        "incidents/incident.html",
        status_code,
        incident=incident,
        names=names,
        constituent=constituent,
        stages=stages,
        next_stage=next_stage,
        observables=service.observables(
            session=session, principal=principal, incident_id=incident_id
        ),
        incident_links=links,
        tasks=service.tasks(session=session, principal=principal, incident_id=incident_id),
        evidence=evidence,
        custody=custody,
        comments=service.comments(session=session, principal=principal, incident_id=incident_id),
        timeline=service.timeline(session=session, principal=principal, incident_id=incident_id),
        staff=staff,
        # The workflow's next steps from here, in the workflow's order.
        statuses=[s for s in IncidentStatus if s in TRANSITIONS.get(incident.status, ())],
        escalate_to=above,
        delegate_to=below,
        due_state=deadline_state(incident.next_due_at, clock.now()),
        done=DONE.get(done),
        errors=errors or {},
        form=form or {},
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(console: ConsoleDep, incident_id: int, done: str = "") -> HTMLResponse:
    """One incident: facts, clocks, observables, links, tasks, evidence, comments, timeline,
    and the forms of what the viewer may do to it."""
    return _incident_page(console, incident_id, done=done)


def _act(console: Console, incident_id: int, done: str, change: Any) -> Response:
    """Run one change; its form errors come back on the incident page, beside the form."""
    try:
        with console.attempt():
            change()
    except (Invalid, ValidationError) as exc:
        return _incident_page(
            console,
            incident_id,
            errors=form_errors(exc) | {"_form": done},
            form=console.form,
            status_code=status_of(exc),
        )
    return RedirectResponse(f"/incidents/{incident_id}?done={done}#{done}", status_code=303)


@router.post("/incidents/{incident_id}/transition", response_model=None)
def transition(console: FormConsoleDep, incident_id: int) -> Response:
    """Move the incident along its workflow."""

    def change() -> None:
        try:
            to = IncidentStatus(console.form.get("to", ""))
        except ValueError:
            raise Invalid.on("to", "choose the new status") from None
        service.transition(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            to=to,
            reason=console.form.get("reason", "").strip(),
        )

    return _act(console, incident_id, "transition", change)


@router.post("/incidents/{incident_id}/assign", response_model=None)
def assign(console: FormConsoleDep, incident_id: int) -> Response:
    """Give the incident to an analyst (or to nobody)."""
    user = console.form.get("user_id", "")
    return _act(
        console,
        incident_id,
        "assign",
        lambda: service.assign(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            user_id=int(user) if user.isdigit() else None,
        ),
    )


@router.post("/incidents/{incident_id}/escalate", response_model=None)
def escalate(console: FormConsoleDep, incident_id: int) -> Response:
    """Hand the incident up the reporting line, with a reason."""
    return _act(
        console,
        incident_id,
        "escalate",
        lambda: service.escalate(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            reason=console.form.get("reason", "").strip(),
            to_cert_id=whole_number("to_cert_id", console.form.get("to_cert_id", "")),
        ),
    )


@router.post("/incidents/{incident_id}/delegate", response_model=None)
def delegate(console: FormConsoleDep, incident_id: int) -> Response:
    """Hand the incident down to a CERT below the handler, with a reason."""

    def change() -> None:
        target = whole_number("to_cert_id", console.form.get("to_cert_id", ""))
        if target is None:
            raise Invalid.on("to_cert_id", "choose the CERT to delegate to")
        service.delegate(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            to_cert_id=target,
            reason=console.form.get("reason", "").strip(),
        )

    return _act(console, incident_id, "delegate", change)


@router.post("/incidents/{incident_id}/merge", response_model=None)
def merge(console: FormConsoleDep, incident_id: int) -> Response:
    """Merge this incident into another as its duplicate (undoable)."""

    def change() -> None:
        into = whole_number("into_id", console.form.get("into_id", "").removeprefix("#"))
        if into is None:
            raise Invalid.on("into_id", "the number of the incident to merge into")
        service.merge(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            into_id=into,
            reason=console.form.get("reason", "").strip(),
        )

    return _act(console, incident_id, "merge", change)


@router.post("/incidents/{incident_id}/unmerge", response_model=None)
def unmerge(console: FormConsoleDep, incident_id: int) -> Response:
    """Undo a merge."""
    return _act(
        console,
        incident_id,
        "unmerge",
        lambda: service.unmerge(
            session=console.session, principal=console.principal, incident_id=incident_id
        ),
    )


@router.post("/incidents/{incident_id}/link", response_model=None)
def link(console: FormConsoleDep, incident_id: int) -> Response:
    """Link another incident to this one."""

    def change() -> None:
        other = whole_number("other_incident_id", console.form.get("other_incident_id", ""))
        if other is None:
            raise Invalid.on("other_incident_id", "the number of the incident to link")
        service.link(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            other_incident_id=other,
            reason=console.form.get("reason", "").strip(),
        )

    return _act(console, incident_id, "link", change)


@router.post("/incidents/{incident_id}/observables", response_model=None)
def add_observables(console: FormConsoleDep, incident_id: int) -> Response:
    """Add observables, one per line."""

    def change() -> None:
        values = text_lines(console.form.get("observables", ""))
        if not values:
            raise Invalid.on("observables", "one observable per line")
        service.add_observables(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            items=[ObservableIn(value=v) for v in values],
        )

    return _act(console, incident_id, "observables", change)


@router.post("/incidents/{incident_id}/tasks", response_model=None)
def add_task(console: FormConsoleDep, incident_id: int) -> Response:
    """Add a task."""
    return _act(
        console,
        incident_id,
        "task",
        lambda: service.add_task(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            data=TaskIn(
                title=console.form.get("title", "").strip(),
                assignee_user_id=whole_number(
                    "assignee_user_id", console.form.get("assignee_user_id", "")
                ),
            ),
        ),
    )


@router.post("/incidents/{incident_id}/tasks/{task_id}", response_model=None)
def update_task(console: FormConsoleDep, incident_id: int, task_id: int) -> Response:
    """Mark a task done (or reopen or cancel it)."""
    return _act(
        console,
        incident_id,
        "task",
        lambda: service.update_task(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            task_id=task_id,
            data=TaskUpdate.model_validate({"status": console.form.get("status", "")}),
        ),
    )


@router.post("/incidents/{incident_id}/comments", response_model=None)
def add_comment(console: FormConsoleDep, incident_id: int) -> Response:
    """Comment (CERT staff may keep a note internal; the organisation's users answer)."""

    def change() -> None:
        body = console.form.get("body", "").strip()
        if not body:
            raise Invalid.on("body", "write the comment")
        service.add_comment(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            body=body,
            internal=console.form.get("internal") == "1" and not is_constituent(console),
        )

    return _act(console, incident_id, "comment", change)


@router.post("/incidents/{incident_id}/stages/{clock_id}", response_model=None)
def submit_stage(console: FormConsoleDep, incident_id: int, clock_id: str) -> Response:
    """Submit the report a stage of the clocks asks for."""

    def change() -> None:
        text = console.form.get("report", "").strip()
        if not text:
            raise Invalid.on("report", "write the stage report")
        service.submit_stage(
            session=console.session,
            principal=console.principal,
            incident_id=incident_id,
            clock_id=clock_id,
            report=text,
        )

    return _act(console, incident_id, "stage", change)


@router.post("/incidents/{incident_id}/evidence", response_model=None)
def upload_evidence(
    console: FormConsoleDep,
    incident_id: int,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store a file as evidence (SHA-256, size, uploader; every access logged)."""

    def change() -> None:
        if file is None or not file.filename:
            raise Invalid.on("file", "choose a file")
        service.add_evidence(
            session=console.session,
            principal=console.principal,
            settings=settings_of(console),
            incident_id=incident_id,
            filename=file.filename,
            content_type=file.content_type or "application/octet-stream",
            content=file.file.read(),
            description=console.form.get("description", "").strip(),
        )

    return _act(console, incident_id, "evidence", change)


@router.get("/incidents/{incident_id}/evidence/{evidence_id}", response_model=None)
def download_evidence(console: ConsoleDep, incident_id: int, evidence_id: int) -> Response:
    """Download evidence (the read is logged on its chain of custody)."""
    item, content = service.read_evidence(
        session=console.session,
        principal=console.principal,
        settings=settings_of(console),
        incident_id=incident_id,
        evidence_id=evidence_id,
    )
    safe = "".join(ch for ch in item.filename if ch.isalnum() or ch in "._-") or "evidence"
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
