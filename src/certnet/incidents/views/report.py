"""The constituent portal's report form (and the staff's, on behalf of an organisation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from certnet.constituency import service as constituency
from certnet.core import clock
from certnet.core.errors import DomainError, FieldError, Invalid
from certnet.core.tlp import Tlp
from certnet.incidents import service
from certnet.incidents.models import Channel, Pap, Severity
from certnet.incidents.schemas import (
    AttachmentIn,
    ImpactIn,
    IncidentReport,
    ObservableIn,
)
from certnet.incidents.views.common import (
    DATA_KINDS,
    MORE_FIELDS,
    display_zone,
    form_attachments,
    form_errors,
    is_constituent,
    local_input,
    local_time,
    settings_of,
    text_lines,
    whole_number,
)
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    status_of,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def report_from_form(
    form: dict[str, str], attachments: list[AttachmentIn], *, for_organisation: bool
) -> IncidentReport:
    """The report the portal's form describes. Raises Invalid or ValidationError naming
    the form's fields."""
    zone = display_zone()
    errors: list[FieldError] = []
    became_aware = started = None
    try:
        became_aware = local_time(
            "became_aware_at", form.get("became_aware_at", ""), zone, required=True
        )
    except Invalid as exc:
        errors.extend(exc.errors)
    try:
        started = local_time("started_at", form.get("started_at", ""), zone, required=False)
    except Invalid as exc:
        errors.extend(exc.errors)
    rsit_class, _, rsit_type = form.get("classification", "").partition("/")
    organisation_id = None
    if for_organisation:
        try:
            organisation_id = whole_number("organisation_id", form.get("organisation_id", ""))
        except Invalid as exc:
            errors.extend(exc.errors)
        if organisation_id is None and not errors:
            errors.append(FieldError("organisation_id", "choose the organisation affected"))
    numbers: dict[str, int | None] = {}
    for name in ("users_affected", "financial_loss"):
        try:
            numbers[name] = whole_number(name, form.get(name, "").replace(",", ""))
        except Invalid as exc:
            errors.extend(exc.errors)
    if not rsit_type:
        errors.append(FieldError("classification", "choose what kind of incident it is"))
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    assert became_aware is not None
    return IncidentReport(
        organisation_id=organisation_id,
        title=form.get("title", "").strip(),
        description=form.get("description", "").strip(),
        became_aware_at=became_aware,
        started_at=started,
        rsit_class=rsit_class,
        rsit_type=rsit_type,
        severity=form.get("severity") or Severity.MEDIUM,
        tlp=form.get("tlp") or Tlp.AMBER.value,
        pap=form.get("pap") or Pap.AMBER,
        impact=ImpactIn(
            services_affected=[
                s.strip() for s in form.get("services_affected", "").split(",") if s.strip()
            ],
            users_affected=numbers["users_affected"],
            data_affected=form.get("data_affected") or None,
            cross_border=form.get("cross_border") == "1",
            financial_loss=numbers["financial_loss"],
            harm_to_others=form.get("harm_to_others") == "1",
            cii_involved=form.get("cii_involved") == "1",
        ),
        observables=[ObservableIn(value=v) for v in text_lines(form.get("observables", ""))],
        attachments=attachments,
    )


def _report_page(
    console: Console,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    zone = display_zone()
    organisations = []
    if not is_constituent(console):
        organisations = constituency.list_organisations(
            session=console.session, principal=console.principal, limit=1000
        ).items
    defaults = {
        "became_aware_at": local_input(clock.now(), zone),
        "classification": "other/undetermined",
        "severity": Severity.MEDIUM.value,
        "tlp": Tlp.AMBER.value,
        "pap": Pap.AMBER.value,
    }
    shown = defaults | (form or {})
    errors = errors or {}
    return console.render(
        "incidents/report.html",
        status_code,
        form=shown,
        # "More details" stays open when something in it was filled in or is wrong.
        more_open=any(errors.get(f) or shown.get(f) for f in MORE_FIELDS)
        or errors.get("pap")
        or errors.get("attachments")
        or shown.get("pap", Pap.AMBER.value) != Pap.AMBER.value,
        errors=errors,
        zone=zone.key,
        rsit=service.rsit_classes(),
        severities=list(Severity),
        tlps=[t.value for t in Tlp],
        paps=[p.value for p in Pap],
        data_kinds=DATA_KINDS,
        organisations=organisations,
        for_organisation=not is_constituent(console),
    )


@router.get("/incidents/report", response_class=HTMLResponse)
def report_form(console: ConsoleDep) -> HTMLResponse:
    """The report form: the essentials first, the rest behind "more details"."""
    return _report_page(console)


@router.post("/incidents/report", response_model=None)
def report(
    console: FormConsoleDep,
    attachments: Annotated[list[UploadFile], File()] = [],  # noqa: B006 — FastAPI reads it
) -> Response:
    """Send the report; errors come back beside the fields they concern."""
    try:
        data = report_from_form(
            console.form,
            form_attachments(attachments),
            for_organisation=not is_constituent(console),
        )
        with console.attempt():
            incident = service.report(
                session=console.session,
                principal=console.principal,
                data=data,
                channel=Channel.PORTAL if is_constituent(console) else Channel.CONSOLE,
                settings=settings_of(console),
            )
    except (DomainError, ValidationError) as exc:
        if isinstance(exc, DomainError) and not isinstance(exc, Invalid):
            raise
        return _report_page(
            console, form=console.form, errors=form_errors(exc), status_code=status_of(exc)
        )
    return RedirectResponse(f"/incidents/{incident.id}?done=reported", status_code=303)


# --- one incident -----------------------------------------------------------------------------
