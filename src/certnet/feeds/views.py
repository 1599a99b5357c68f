"""Console pages of the feeds: the runs with an upload form, one run with the rows it
quarantined, and the stored events with filters. Every read and the upload go through the
feeds service, which applies the access policy; these views only parse, call and render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from certnet.config import get_settings
from certnet.constituency.lookup import describe_owners
from certnet.core.errors import DomainError, Forbidden, Invalid, NotFound
from certnet.feeds import service
from certnet.feeds.models import Event, FeedRun
from certnet.feeds.parsers import schema_store
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    field_errors,
    status_of,
    url,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

RUN_PAGE_SIZE = 25
EVENT_PAGE_SIZE = 50
QUARANTINE_PAGE_SIZE = 100
#: Quarantined text longer than this is cut in the table; the full row stays one click away.
RAW_PREVIEW = 120
#: Width of the inline bar that splits a run's rows, in SVG user units (pixels).
BAR_WIDTH = 120
SOURCE = "shadowserver"

#: Messages after an upload (post, redirect, get): only these fixed texts are shown.
DONE = {
    "ingested": "Report ingested.",
    "again": "This file was ingested before: nothing changed, the figures are that run's.",
}


@dataclass(frozen=True)
class Segment:
    """One coloured part of a run's bar: where the rows went."""

    label: str
    rows: int
    x: float
    width: float
    colour: str


def split_bar(run: FeedRun) -> list[Segment]:
    """The bar under a run: stored, duplicate and quarantined rows side by side, their
    widths in proportion (``rows = stored + duplicates + quarantined``)."""
    parts = (
        ("stored", run.stored, "#15803d"),
        ("duplicates", run.duplicates, "#94a3b8"),
        ("quarantined", run.quarantined, "#b91c1c"),
    )
    total = sum(n for _, n, _ in parts)
    segments: list[Segment] = []
    x = 0.0
    for label, rows, colour in parts:
        if not rows:
            continue
        width = BAR_WIDTH * rows / total
        segments.append(Segment(label, rows, round(x, 2), round(width, 2), colour))
        x += width
    return segments


def _report_types() -> list[tuple[str, str]]:
    # The upload form offers what the imported schema knows; without one it offers nothing
    # and the page says how to import it (the upload would be refused anyway).
    try:
        schema = schema_store.installed_schema(settings=get_settings())
    except NotFound:
        return []
    return sorted((code, report.feed_name) for code, report in schema.reports.items())


def _runs_page(
    console: Console,
    *,
    report_type: str = "",
    cursor: str = "",
    done: str = "",
    status_code: int = 200,
    upload_form: dict[str, str] | None = None,
    upload_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    runs = service.list_runs(
        session=console.session,
        principal=console.principal,
        report_type=report_type or None,
        cursor=cursor or None,
        limit=RUN_PAGE_SIZE,
    )
    report_types = _report_types()
    return console.render(
        "feeds/runs.html",
        status_code,
        runs=[(run, split_bar(run)) for run in runs.items],
        bar_width=BAR_WIDTH,
        report_type=report_type,
        report_types=report_types,
        schema_missing=not report_types,
        done=DONE.get(done),
        upload_form=upload_form or {},
        upload_errors=upload_errors or {},
        next_url=url("/feeds", report_type=report_type, cursor=runs.next_cursor)
        if runs.next_cursor
        else None,
        first_url=url("/feeds", report_type=report_type) if cursor else None,
    )


@router.get("/feeds", response_class=HTMLResponse)
def runs_page(
    console: ConsoleDep, report_type: str = "", cursor: str = "", done: str = ""
) -> HTMLResponse:
    """Feed runs the viewer may see, newest first, and the form to upload a report."""
    return _runs_page(console, report_type=report_type, cursor=cursor, done=done)


@router.post("/feeds/upload", response_model=None)
def upload(
    console: FormConsoleDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Ingest an uploaded report with the service the API's ingest uses, then show its run;
    a refusal (no file, an unknown report type, no schema imported) comes back as a form
    error on the runs page."""
    report_type = console.form.get("report_type", "").strip()
    try:
        if file is None or not file.filename:
            raise Invalid.on("file", "choose a report file to upload")
        with console.attempt():
            summary = service.ingest(
                session=console.session,
                principal=console.principal,
                parser=service.parser_for(SOURCE),
                # The server spooled the upload, so it seeks and streams like a file.
                stream=file.file,
                filename=file.filename,
                report_type=report_type or None,
            )
    except Forbidden:
        raise
    except DomainError as exc:
        # NotFound here is the missing schema: a problem with the form's context, not a page.
        return _runs_page(
            console,
            status_code=status_of(exc),
            upload_form={"report_type": report_type},
            upload_errors=field_errors(exc),
        )
    done = "again" if summary.already_ingested else "ingested"
    return RedirectResponse(f"/feeds/runs/{summary.id}?done={done}", status_code=303)


@router.get("/feeds/runs/{run_id}", response_class=HTMLResponse)
def run_page(console: ConsoleDep, run_id: int, cursor: str = "", done: str = "") -> HTMLResponse:
    """One run: where its rows went, and the rows it quarantined with their reasons."""
    session, principal = console.session, console.principal
    run = service.get_run(session=session, principal=principal, run_id=run_id)
    quarantine = service.list_quarantine(
        session=session,
        principal=principal,
        run_id=run_id,
        cursor=cursor or None,
        limit=QUARANTINE_PAGE_SIZE,
    )
    here = f"/feeds/runs/{run_id}"
    return console.render(
        "feeds/run.html",
        run=run,
        bar=split_bar(run),
        bar_width=BAR_WIDTH,
        quarantine=quarantine.items,
        raw_preview=RAW_PREVIEW,
        done=DONE.get(done),
        next_url=url(here, cursor=quarantine.next_cursor) if quarantine.next_cursor else None,
        first_url=here if cursor else None,
    )


def _whole_number(name: str, value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid.on(name, "a number, such as 42")
    return int(value)


def source_address(event: Event) -> str:
    """``ip:port`` (``[ip]:port`` for IPv6), the address alone, or the host name."""
    host = event.source_ip or event.source_fqdn or ""
    if event.source_port is None or not host:
        return host
    if event.source_ip and ":" in event.source_ip:
        return f"[{host}]:{event.source_port}"
    return f"{host}:{event.source_port}"


def _organisation_names(console: Console, events: list[Event]) -> dict[int, str]:
    # One query for the page, through the access policy: names follow it like everything else.
    owners = describe_owners(
        session=console.session,
        principal=console.principal,
        organisation_ids=(e.organisation_id for e in events if e.organisation_id is not None),
    )
    return {org_id: owner.organisation for org_id, owner in owners.items()}


@router.get("/feeds/events", response_class=HTMLResponse)
def events_page(
    console: ConsoleDep,
    report_type: str = "",
    classification_type: str = "",
    organisation: str = "",
    run: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Events the viewer may see, newest first, filtered by report type, classification,
    organisation and run."""
    filters = {
        "report_type": report_type.strip(),
        "classification_type": classification_type.strip(),
        "organisation": organisation.strip(),
        "run": run.strip(),
    }
    errors: dict[str, str] = {}
    events: list[Event] = []
    next_cursor: str | None = None
    status_code = 200
    try:
        found = service.list_events(
            session=console.session,
            principal=console.principal,
            report_type=filters["report_type"] or None,
            classification_type=filters["classification_type"] or None,
            organisation_id=_whole_number("organisation", filters["organisation"]),
            run_id=_whole_number("run", filters["run"]),
            cursor=cursor or None,
            limit=EVENT_PAGE_SIZE,
        )
        events, next_cursor = found.items, found.next_cursor
    except Invalid as exc:
        errors, status_code = field_errors(exc), exc.status
    return console.render(
        "feeds/events.html",
        status_code,
        events=[(e, source_address(e)) for e in events],
        org_names=_organisation_names(console, events),
        filters=filters,
        errors=errors,
        next_url=url("/feeds/events", **filters, cursor=next_cursor) if next_cursor else None,
        first_url=url("/feeds/events", **filters) if cursor else None,
    )
