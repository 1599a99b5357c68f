"""Console pages of the findings domain: the findings list with filters, one finding with its
history and the answers its viewer may give, suppression rules, and the remediation plots.
Every read and change goes through the findings service; these views parse, call, render."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from certnet.constituency import service as constituency
from certnet.constituency.lookup import describe_owners
from certnet.core import clock
from certnet.core.errors import DomainError, Forbidden, Invalid
from certnet.findings import plots, service
from certnet.findings.models import Finding, FindingState, Interval, Language, MailFormat
from certnet.findings.remediation import Remediation
from certnet.findings.schemas import PreferenceUpdate, SuppressionCreate
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

PAGE_SIZE = 50
RULES_PAGE_SIZE = 50
#: Organisations on the remediation page (those with most unresolved findings first).
TOP_ORGANISATIONS = 25

#: Answers as the buttons name them, per action.
ANSWERS = {
    "acknowledge": "Acknowledge",
    "fixed": "Mark fixed",
    "verify": "Verify fixed",
    "reopen": "Reopen",
}
DONE = {
    "acknowledge": "Finding acknowledged.",
    "fixed": "Finding marked fixed. The next report of this feed will confirm it.",
    "verify": "Finding verified fixed.",
    "reopen": "Finding reopened.",
    "suppressed": "Suppression rule added.",
    "lifted": "Suppression rule lifted.",
}


def _whole_number(name: str, value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid.on(name, "a number, such as 42")
    return int(value)


def _state(value: str) -> FindingState | None:
    if not value:
        return None
    try:
        return FindingState(value)
    except ValueError:
        states = ", ".join(s.value for s in FindingState)
        raise Invalid.on("state", f"one of: {states}") from None


def _org_names(console: Console, ids: Any) -> dict[int, str]:
    owners = describe_owners(
        session=console.session, principal=console.principal, organisation_ids=ids
    )
    return {org_id: owner.organisation for org_id, owner in owners.items()}


def address(finding: Finding) -> str:
    if finding.port is None or not finding.host:
        return finding.host
    return (
        f"[{finding.host}]:{finding.port}"
        if ":" in finding.host
        else f"{finding.host}:{finding.port}"
    )


@router.get("/findings", response_class=HTMLResponse)
def findings_page(
    console: ConsoleDep,
    state: str = "",
    report_type: str = "",
    organisation: str = "",
    sector: str = "",
    ticket: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Findings the viewer may see, newest first, filtered."""
    filters = {
        "state": state.strip(),
        "report_type": report_type.strip(),
        "organisation": organisation.strip(),
        "sector": sector.strip(),
        "ticket": ticket.strip(),
    }
    errors: dict[str, str] = {}
    items: list[Finding] = []
    next_cursor: str | None = None
    status_code = 200
    try:
        page = service.list_findings(
            session=console.session,
            principal=console.principal,
            state=_state(filters["state"]),
            report_type=filters["report_type"] or None,
            organisation_id=_whole_number("organisation", filters["organisation"]),
            sector=filters["sector"] or None,
            ticket=filters["ticket"] or None,
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
        items, next_cursor = page.items, page.next_cursor
    except Invalid as exc:
        errors, status_code = field_errors(exc), exc.status
    return console.render(
        "findings/list.html",
        status_code,
        findings=[(f, address(f)) for f in items],
        org_names=_org_names(console, (f.organisation_id for f in items)),
        states=[s.value for s in FindingState],
        filters=filters,
        errors=errors,
        constituent=console.principal.role is not None and console.principal.role.is_constituent,
        next_url=url("/findings", **filters, cursor=next_cursor) if next_cursor else None,
        first_url=url("/findings", **filters) if cursor else None,
    )


def _remediation_rows(rows: list[Remediation], *, rate: bool) -> plots.BarChart:
    if rate:
        return plots.bar_chart(
            [
                (
                    r.label,
                    r.rate,
                    f"{r.rate:.0%} ({r.verified}/{r.total})",
                    f"{r.label}: {r.verified} of {r.total} verified fixed",
                )
                for r in rows
            ],
            scale_max=1.0,
        )
    timed = [r for r in rows if r.median_hours is not None]
    return plots.bar_chart(
        [
            (
                r.label,
                r.median_hours or 0.0,
                _duration(r.median_hours or 0.0),
                f"{r.label}: median {_duration(r.median_hours or 0.0)}, "
                f"{len(r.hours_to_fix)} fixes",
            )
            for r in timed
        ]
    )


def _duration(hours: float) -> str:
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


@router.get("/findings/remediation", response_class=HTMLResponse)
def remediation_page(console: ConsoleDep) -> HTMLResponse:
    """Remediation rate and time to fix per sector and organisation, open findings over time."""
    figures = service.remediation(
        session=console.session, principal=console.principal, now=clock.now()
    )
    organisations = figures.organisations[:TOP_ORGANISATIONS]
    return console.render(
        "findings/remediation.html",
        total=figures.total,
        sectors=figures.sectors,
        organisations=organisations,
        sector_rate=_remediation_rows(figures.sectors, rate=True),
        sector_time=_remediation_rows(figures.sectors, rate=False),
        org_rate=_remediation_rows(organisations, rate=True),
        org_time=_remediation_rows(organisations, rate=False),
        open_line=plots.line_chart(figures.open_by_day),
        duration=_duration,
    )


def _rules_page(
    console: Console,
    *,
    cursor: str = "",
    done: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    page = service.list_rules(
        session=console.session,
        principal=console.principal,
        cursor=cursor or None,
        limit=RULES_PAGE_SIZE,
    )
    now = clock.now()
    return console.render(
        "findings/suppressions.html",
        status_code,
        rules=[(rule, _rule_status(rule, now)) for rule in page.items],
        org_names=_org_names(console, (r.organisation_id for r in page.items if r.organisation_id)),
        done=DONE.get(done),
        form=form or {},
        errors=errors or {},
        next_url=url("/findings/suppressions", cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url="/findings/suppressions" if cursor else None,
    )


def _rule_status(rule: Any, now: datetime) -> str:
    if rule.lifted_at is not None:
        return "lifted"
    if rule.expires_at is not None and rule.expires_at <= now:
        return "expired"
    return "active"


@router.get("/findings/suppressions", response_class=HTMLResponse)
def suppressions_page(console: ConsoleDep, cursor: str = "", done: str = "") -> HTMLResponse:
    """Suppression rules, and the form to add one."""
    return _rules_page(console, cursor=cursor, done=done)


@router.post("/findings/suppressions", response_model=None)
def add_suppression(console: FormConsoleDep) -> Response:
    """Add a suppression rule from the form; errors come back beside the fields."""
    form = {
        k: console.form.get(k, "").strip()
        for k in ("organisation", "report_type", "network", "reason", "expires")
    }
    try:
        expires = None
        if form["expires"]:
            try:
                expires = datetime.fromisoformat(form["expires"])
            except ValueError:
                raise Invalid.on("expires", "a date, such as 2026-12-31") from None
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
        data = SuppressionCreate(
            organisation_id=_whole_number("organisation", form["organisation"]),
            report_type=form["report_type"] or None,
            network=form["network"] or None,
            reason=form["reason"],
            expires_at=expires,
        )
        with console.attempt():
            service.create_rule(session=console.session, principal=console.principal, data=data)
    except Forbidden:
        raise
    except (DomainError, ValidationError) as exc:
        errors = field_errors(exc)
        if "organisation_id" in errors:
            errors["organisation"] = errors.pop("organisation_id")
        if "expires_at" in errors:
            errors["expires"] = errors.pop("expires_at")
        return _rules_page(console, status_code=status_of(exc), form=form, errors=errors)
    return RedirectResponse("/findings/suppressions?done=suppressed", status_code=303)


@router.post("/findings/suppressions/{rule_id}/lift", response_model=None)
def lift_suppression(console: FormConsoleDep, rule_id: int) -> Response:
    """Lift a rule (undo)."""
    service.lift_rule(session=console.session, principal=console.principal, rule_id=rule_id)
    return RedirectResponse("/findings/suppressions?done=lifted", status_code=303)


def _finding_page(
    console: Console,
    finding_id: int,
    *,
    done: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    note: str = "",
) -> HTMLResponse:
    session, principal = console.session, console.principal
    finding = service.get_finding(session=session, principal=principal, finding_id=finding_id)
    steps = service.history(session=session, principal=principal, finding_id=finding_id)
    constituent = principal.role is not None and principal.role.is_constituent
    may_edit = console.viewer.may_edit("finding")
    actions = [
        (action, ANSWERS[action])
        for action, (allowed_from, _) in service.TRANSITIONS.items()
        if may_edit
        and finding.state in allowed_from
        and not (constituent and action in ("verify", "reopen"))
    ]
    notification = (
        service.get_notification(
            session=session, principal=principal, notification_id=finding.last_notification_id
        )
        if finding.last_notification_id is not None
        else None
    )
    return console.render(
        "findings/finding.html",
        status_code,
        finding=finding,
        address=address(finding),
        org_name=_org_names(console, [finding.organisation_id]).get(finding.organisation_id),
        history=steps,
        actions=actions,
        notification=notification,
        done=DONE.get(done),
        errors=errors or {},
        note=note,
    )


@router.get("/findings/{finding_id:int}", response_class=HTMLResponse)
def finding_page(console: ConsoleDep, finding_id: int, done: str = "") -> HTMLResponse:
    """One finding: its facts, its history, and the answers its viewer may give."""
    return _finding_page(console, finding_id, done=done)


@router.post("/findings/{finding_id:int}/answer", response_model=None)
def answer(console: FormConsoleDep, finding_id: int) -> Response:
    """Give an answer (the button pressed) with an optional note."""
    action = console.form.get("action", "")
    note = console.form.get("note", "")
    try:
        with console.attempt():
            service.answer(
                session=console.session,
                principal=console.principal,
                finding_id=finding_id,
                action=action,
                note=note or None,
            )
    except Forbidden:
        raise
    except Invalid as exc:
        return _finding_page(
            console, finding_id, status_code=exc.status, errors=field_errors(exc), note=note
        )
    return RedirectResponse(f"/findings/{finding_id}?done={action}", status_code=303)


def _settings_page(
    console: Console,
    organisation_id: int | None,
    *,
    done: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    session, principal = console.session, console.principal
    contacts: list[tuple[Any, Any]] = []
    interval = None
    org_name = None
    if organisation_id is not None:
        interval = service.get_interval(
            session=session, principal=principal, organisation_id=organisation_id
        )
        org_name = _org_names(console, [organisation_id]).get(organisation_id)
        contacts = [
            (
                contact,
                service.get_preference(session=session, principal=principal, contact_id=contact.id),
            )
            for contact in constituency.list_contacts(
                session=session, principal=principal, organisation_id=organisation_id
            )
        ]
    return console.render(
        "findings/settings.html",
        status_code,
        organisation_id=organisation_id,
        org_name=org_name,
        interval=interval,
        intervals=[i.value for i in Interval],
        languages=[(Language.ENGLISH.value, "English"), (Language.URDU.value, "اردو (Urdu)")],
        formats=[f.value for f in MailFormat],
        contacts=contacts,
        done=SETTINGS_DONE.get(done),
        errors=errors or {},
    )


SETTINGS_DONE = {
    "preference": "Contact preferences saved.",
    "interval": "Notification interval saved.",
}


@router.get("/findings/settings", response_class=HTMLResponse)
def settings_page(console: ConsoleDep, organisation: str = "", done: str = "") -> HTMLResponse:
    """An organisation's notification interval and its contacts' preferences."""
    organisation_id = (
        _whole_number("organisation", organisation) or console.principal.organisation_id
    )
    return _settings_page(console, organisation_id, done=done)


@router.post("/findings/settings/contacts/{contact_id}", response_model=None)
def save_preference(console: FormConsoleDep, contact_id: int) -> Response:
    """Save one contact's preferences from its form."""
    form = console.form
    organisation_id = _whole_number("organisation", form.get("organisation", ""))
    try:
        data = PreferenceUpdate(
            language=form.get("language", "en"),
            mail_format=form.get("mail_format", "html"),
            attach_csv=form.get("attach_csv") == "on",
            opted_out=[t.strip() for t in form.get("opted_out", "").split(",") if t.strip()],
        )
        with console.attempt():
            service.set_preference(
                session=console.session,
                principal=console.principal,
                contact_id=contact_id,
                data=data,
            )
    except Forbidden:
        raise
    except (Invalid, ValidationError) as exc:
        return _settings_page(
            console, organisation_id, status_code=status_of(exc), errors=field_errors(exc)
        )
    return RedirectResponse(
        url("/findings/settings", organisation=organisation_id, done="preference"), status_code=303
    )


@router.post("/findings/settings/interval/{organisation_id}", response_model=None)
def save_interval(console: FormConsoleDep, organisation_id: int) -> Response:
    """Save an organisation's notification interval (its CERT's staff)."""
    try:
        interval = Interval(console.form.get("interval", ""))
    except ValueError:
        raise Invalid.on("interval", "one of: immediate, daily, weekly") from None
    service.set_interval(
        session=console.session,
        principal=console.principal,
        organisation_id=organisation_id,
        interval=interval,
    )
    return RedirectResponse(
        url("/findings/settings", organisation=organisation_id, done="interval"), status_code=303
    )


@router.get("/findings/notifications", response_class=HTMLResponse)
def notifications_page(console: ConsoleDep, cursor: str = "") -> HTMLResponse:
    """Notifications sent about findings: ticket, organisation, report type, recipients."""
    page = service.list_notifications(
        session=console.session, principal=console.principal, cursor=cursor or None, limit=PAGE_SIZE
    )
    return console.render(
        "findings/notifications.html",
        notifications=page.items,
        org_names=_org_names(console, (n.organisation_id for n in page.items)),
        next_url=url("/findings/notifications", cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url="/findings/notifications" if cursor else None,
    )
