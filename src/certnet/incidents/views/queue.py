"""The CERT queue: filters, sorting, counts per status and deadline state, bulk actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from certnet.core import clock
from certnet.core.errors import DomainError, Invalid
from certnet.core.tlp import Tlp
from certnet.incidents import service
from certnet.incidents.intake import service as intake
from certnet.incidents.models import Incident, IncidentStatus, Severity
from certnet.incidents.schemas import (
    IncidentFilter,
)
from certnet.incidents.views.common import (
    DEADLINE_LABELS,
    DEADLINES,
    DONE,
    ORDERS,
    QUEUE_PAGE_SIZE,
    is_constituent,
    names_for,
    staff_of,
    whole_number,
)
from certnet.profiles import service as profiles
from certnet.web.console import (
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    field_errors,
    url,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _queue_filter(params: dict[str, Any]) -> IncidentFilter:
    try:
        return IncidentFilter(
            status=[IncidentStatus(s) for s in params["status"] if s],
            severity=[Severity(s) for s in params["severity"] if s],
            rsit_class=params["rsit_class"] or None,
            sector=params["sector"] or None,
            organisation_id=whole_number("organisation", params["organisation"]),
            assignee_user_id=whole_number("assignee", params["assignee"]),
            deadline=params["deadline"] or None,
            tlp=[Tlp.parse(t).value for t in params["tlp"] if t],
            open_only=params["open_only"],
            q=params["q"] or None,
        )
    except ValueError as exc:
        raise Invalid.on("filters", str(exc)) from None


@router.get("/incidents", response_class=HTMLResponse)
def queue(
    console: ConsoleDep,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI reads the default
    severity: Annotated[list[str], Query()] = [],  # noqa: B006
    tlp: Annotated[list[str], Query()] = [],  # noqa: B006
    rsit_class: str = "",
    sector: str = "",
    organisation: str = "",
    assignee: str = "",
    deadline: str = "",
    q: str = "",
    open_only: str = "",
    order: str = "newest",
    cursor: str = "",
    done: str = "",
    changed: int = 0,
    refused: str = "",
) -> HTMLResponse:
    """The CERT queue (filtered, sorted, with counts and bulk actions); for a constituent's
    users, their organisation's incidents."""
    params: dict[str, Any] = {
        "status": status,
        "severity": severity,
        "tlp": tlp,
        "rsit_class": rsit_class.strip(),
        "sector": sector.strip(),
        "organisation": organisation.strip(),
        "assignee": assignee.strip(),
        "deadline": deadline.strip(),
        "q": q.strip(),
        "open_only": open_only == "1",
    }
    order = order if order in ORDERS else "newest"
    errors: dict[str, str] = {}
    status_code = 200
    incidents: list[Incident] = []
    next_cursor: str | None = None
    counts = None
    try:
        filters = _queue_filter(params)
        with console.attempt():
            page = service.list_incidents(
                session=console.session,
                principal=console.principal,
                filters=filters,
                order=ORDERS[order][0],
                cursor=cursor or None,
                limit=QUEUE_PAGE_SIZE,
            )
            counts = service.counts(
                session=console.session, principal=console.principal, filters=filters
            )
        incidents, next_cursor = page.items, page.next_cursor
    except Invalid as exc:
        errors, status_code = field_errors(exc), exc.status
    staff = staff_of(console)
    names = names_for(console, (i.organisation_id for i in incidents), staff)
    now = clock.now()
    query = {k: v for k, v in params.items() if k != "open_only"} | {
        "open_only": "1" if params["open_only"] else "",
        "order": order if order != "newest" else "",
    }
    template = "incidents/portal.html" if is_constituent(console) else "incidents/queue.html"
    return console.render(
        template,
        status_code,
        incidents=[(i, deadline_state(i.next_due_at, now)) for i in incidents],
        counts=counts,
        names=names,
        staff=staff,
        params=params,
        order=order,
        orders=ORDERS,
        query=query,
        base_url=url("/incidents", **query),
        status_urls={
            s.value: url(
                "/incidents", **(query | {"status": [] if s.value in status else [s.value]})
            )
            for s in IncidentStatus
        },
        deadline_urls={
            key: url("/incidents", **(query | {"deadline": "" if key == deadline else key}))
            for key in DEADLINES
        },
        without_org_url=url("/incidents", **(query | {"organisation": ""})),
        order_urls={
            key: url("/incidents", **(query | {"order": "" if key == "newest" else key}))
            for key in ORDERS
        },
        errors=errors,
        statuses=list(IncidentStatus),
        severities=list(Severity),
        tlps=list(Tlp),
        deadlines=DEADLINE_LABELS,
        rsit=service.rsit_classes(),
        sectors=profiles.active().sectors,
        done=DONE.get(done),
        changed=changed,
        refused=[r for r in refused.split(",") if r][:50],
        held=intake.count_held(session=console.session, principal=console.principal)
        if not is_constituent(console)
        else 0,
        next_url=url("/incidents", **query, cursor=next_cursor) if next_cursor else None,
        first_url=url("/incidents", **query) if cursor else None,
    )


def deadline_state(due: datetime | None, now: datetime) -> str:
    """overdue, due_soon, on_track or none: how the next deadline stands."""
    if due is None:
        return "none"
    if due < now:
        return "overdue"
    if due - now <= service.DUE_SOON:
        return "due_soon"
    return "on_track"


@router.post("/incidents/bulk", response_model=None)
def bulk(
    console: FormConsoleDep,
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 — FastAPI reads the default
) -> Response:
    """Assign or move many incidents at once; each one alone succeeds or is refused (and
    named on the queue afterwards)."""
    action = console.form.get("action", "")
    back = console.form.get("back", "/incidents")
    if not back.startswith("/incidents") or back.startswith("//"):
        back = "/incidents"
    chosen = [int(i) for i in ids if i.isdigit()]
    if not chosen:
        raise Invalid.on("ids", "tick at least one incident")
    if action not in ("assign", "transition"):
        raise Invalid.on("action", "choose assign or change status")
    target_status: IncidentStatus | None = None
    if action == "transition":
        try:
            target_status = IncidentStatus(console.form.get("to", ""))
        except ValueError:
            raise Invalid.on("to", "choose the status to move them to") from None
    user = console.form.get("user_id", "")
    changed, refused = 0, []
    for incident_id in chosen:
        try:
            with console.attempt():
                if target_status is not None:
                    service.transition(
                        session=console.session,
                        principal=console.principal,
                        incident_id=incident_id,
                        to=target_status,
                        reason=console.form.get("reason", "").strip(),
                    )
                else:
                    service.assign(
                        session=console.session,
                        principal=console.principal,
                        incident_id=incident_id,
                        user_id=int(user) if user.isdigit() else None,
                    )
            changed += 1
        except DomainError:
            refused.append(str(incident_id))
    sep = "&" if "?" in back else "?"
    result = urlencode({"done": action, "changed": changed, "refused": ",".join(refused)})
    return RedirectResponse(f"{back}{sep}{result}", status_code=303)


# --- reporting (the portal's form; CERT staff use it for an organisation) ---------------------
