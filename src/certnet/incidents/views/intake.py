"""The mail intake's quarantine: list, read, release, dismiss."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from certnet.constituency import service as constituency
from certnet.core.errors import Forbidden, Invalid
from certnet.incidents.intake import service as intake
from certnet.incidents.intake.models import QuarantineState
from certnet.incidents.views.common import (
    DONE,
    QUARANTINE_PAGE_SIZE,
    form_errors,
    is_constituent,
    names_for,
    whole_number,
)
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    url,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/incidents/intake", response_class=HTMLResponse)
def quarantine_page(
    console: ConsoleDep, state: str = QuarantineState.HELD.value, cursor: str = "", done: str = ""
) -> HTMLResponse:
    """Mails the e-mail intake kept instead of accepting, with their reasons."""
    if is_constituent(console):
        raise Forbidden("the mail intake's quarantine is for CERT staff")
    chosen = {s.value: s for s in QuarantineState}.get(state)
    found = intake.list_quarantine(
        session=console.session,
        principal=console.principal,
        state=chosen,
        cursor=cursor or None,
        limit=QUARANTINE_PAGE_SIZE,
    )
    names = names_for(console, (e.organisation_id for e in found.items if e.organisation_id))
    return console.render(
        "incidents/quarantine.html",
        entries=found.items,
        held=intake.count_held(session=console.session, principal=console.principal),
        names=names,
        state=state if chosen else "all",
        states=[s.value for s in QuarantineState],
        done=DONE.get(done),
        next_url=url("/incidents/intake", state=state, cursor=found.next_cursor)
        if found.next_cursor
        else None,
        first_url=url("/incidents/intake", state=state) if cursor else None,
    )


def _quarantined_page(
    console: Console,
    quarantine_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    entry = intake.get_quarantined(
        session=console.session, principal=console.principal, quarantine_id=quarantine_id
    )
    organisations = constituency.list_organisations(
        session=console.session, principal=console.principal, limit=1000
    ).items
    preview = entry.raw[:20_000].decode("utf-8", "replace")
    return console.render(
        "incidents/quarantined.html",
        status_code,
        entry=entry,
        preview=preview,
        organisations=organisations,
        names=names_for(console, [entry.organisation_id] if entry.organisation_id else []),
        errors=errors or {},
    )


@router.get("/incidents/intake/{quarantine_id}", response_class=HTMLResponse)
def quarantined(console: ConsoleDep, quarantine_id: int) -> HTMLResponse:
    """One quarantined mail: why, what it said, and the forms to release or dismiss it."""
    return _quarantined_page(console, quarantine_id)


@router.get("/incidents/intake/{quarantine_id}/raw", response_model=None)
def quarantined_raw(console: ConsoleDep, quarantine_id: int) -> Response:
    """The mail as received, as a download (never rendered: it may hold anything)."""
    entry = intake.get_quarantined(
        session=console.session, principal=console.principal, quarantine_id=quarantine_id
    )
    return Response(
        entry.raw,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="intake-{entry.id}.eml"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.post("/incidents/intake/{quarantine_id}/release", response_model=None)
def release(console: FormConsoleDep, quarantine_id: int) -> Response:
    """Report the held mail for the chosen organisation."""
    try:
        organisation_id = whole_number("organisation_id", console.form.get("organisation_id", ""))
        with console.attempt():
            incident = intake.release(
                session=console.session,
                principal=console.principal,
                quarantine_id=quarantine_id,
                organisation_id=organisation_id,
            )
    except Invalid as exc:
        return _quarantined_page(
            console, quarantine_id, errors=form_errors(exc), status_code=exc.status
        )
    return RedirectResponse(f"/incidents/{incident.id}?done=released", status_code=303)


@router.post("/incidents/intake/{quarantine_id}/dismiss", response_model=None)
def dismiss(console: FormConsoleDep, quarantine_id: int) -> Response:
    """Mark the held mail as no report; it stays, with the note."""
    try:
        with console.attempt():
            intake.dismiss(
                session=console.session,
                principal=console.principal,
                quarantine_id=quarantine_id,
                note=console.form.get("note", ""),
            )
    except Invalid as exc:
        return _quarantined_page(
            console, quarantine_id, errors=form_errors(exc), status_code=exc.status
        )
    return RedirectResponse("/incidents/intake?done=dismissed", status_code=303)
