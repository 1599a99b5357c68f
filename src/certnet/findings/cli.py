"""``certnet findings``: list, show and answer findings, notify what is due, and manage
suppression rules, from a shell."""

from __future__ import annotations

from datetime import datetime

import typer
from pydantic import ValidationError

from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, fail, out
from certnet.core import clock
from certnet.findings import service
from certnet.findings.models import FindingState
from certnet.findings.schemas import (
    FindingDetail,
    FindingRead,
    HistoryRead,
    SuppressionCreate,
    SuppressionRead,
)

app = typer.Typer(
    help="Findings and the notifications that tell constituents about them.", no_args_is_help=True
)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")
Cursor = typer.Option(None, help="next_cursor of the previous page")
COLUMNS = ["id", "state", "organisation_id", "report_type", "issue", "host", "port", "last_seen"]


@app.command("list")
def list_findings(
    state: FindingState | None = typer.Option(None, help="Only findings in this state"),
    report_type: str | None = typer.Option(None, "--type", help="Only this report type"),
    organisation: int | None = typer.Option(None, help="Only this organisation (id)"),
    sector: str | None = typer.Option(None, help="Only this sector"),
    ticket: str | None = typer.Option(None, help="Only the findings of this ticket"),
    cursor: str | None = Cursor,
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List findings, newest first."""
    with command(as_user) as (session, principal):
        page = service.list_findings(
            session=session,
            principal=principal,
            state=state,
            report_type=report_type,
            organisation_id=organisation,
            sector=sector,
            ticket=ticket,
            cursor=cursor,
            limit=limit,
        )
        rows = [FindingRead.model_validate(f) for f in page.items]
    emit(rows, as_json=as_json, columns=COLUMNS, title="Findings", next_cursor=page.next_cursor)


@app.command("show")
def show(finding_id: int, as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """One finding and its history."""
    with command(as_user) as (session, principal):
        finding = service.get_finding(session=session, principal=principal, finding_id=finding_id)
        steps = service.history(session=session, principal=principal, finding_id=finding_id)
        detail = FindingDetail(
            **FindingRead.model_validate(finding).model_dump(),
            history=[HistoryRead.model_validate(h) for h in steps],
        )
    if as_json:
        emit_one(detail, as_json=True)
        return
    emit_one(FindingRead.model_validate(detail.model_dump()), as_json=False)
    emit(
        detail.history,
        as_json=False,
        columns=["at", "from_state", "to_state", "actor", "note"],
        title="History",
    )


def _answer(finding_id: int, action: str, note: str | None, as_user: str | None) -> None:
    with command(as_user) as (session, principal):
        finding = service.answer(
            session=session, principal=principal, finding_id=finding_id, action=action, note=note
        )
        state = finding.state.value
    out.print(f"finding {finding_id} is now [bold]{state}[/]", highlight=False)


@app.command("ack")
def acknowledge(finding_id: int, as_user: str | None = AsUser) -> None:
    """Acknowledge a finding: the organisation is on it."""
    _answer(finding_id, "acknowledge", None, as_user)


@app.command("fixed")
def fixed(
    finding_id: int,
    note: str | None = typer.Option(None, help="What was done"),
    as_user: str | None = AsUser,
) -> None:
    """Mark a finding fixed; the next report of the same feed confirms it."""
    _answer(finding_id, "fixed", note, as_user)


@app.command("verify")
def verify(
    finding_id: int,
    note: str | None = typer.Option(None, help="How the fix was confirmed"),
    as_user: str | None = AsUser,
) -> None:
    """Verify a fix by hand (CERT staff)."""
    _answer(finding_id, "verify", note, as_user)


@app.command("reopen")
def reopen(
    finding_id: int,
    note: str = typer.Option(..., help="Why the finding is reopened"),
    as_user: str | None = AsUser,
) -> None:
    """Reopen a fixed or verified finding (CERT staff)."""
    _answer(finding_id, "reopen", note, as_user)


@app.command("notify")
def notify(as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """Build and enqueue every notification due now (the outbox sends them)."""
    with command(as_user) as (session, principal):
        done = service.notify_due(session=session, now=clock.now(), principal=principal)
    if as_json:
        emit_one(done, as_json=True)
        return
    out.print(
        f"{done.notifications} notifications ({done.messages} mails) about {done.findings} "
        f"findings; {done.suppressed} suppressed, {done.waiting} waiting for their period, "
        f"{done.no_recipient} without anyone to tell",
        highlight=False,
    )
    for ticket in done.tickets:
        out.print(f"  {ticket}", highlight=False)


@app.command("suppress")
def suppress(
    reason: str = typer.Option(..., help="Why these findings are not notified"),
    organisation: int | None = typer.Option(None, help="Organisation id"),
    report_type: str | None = typer.Option(None, "--type", help="Report type"),
    network: str | None = typer.Option(None, help="Network (CIDR)"),
    expires: datetime | None = typer.Option(
        None, help="When the rule ends (UTC if no zone is given)"
    ),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Add a suppression rule."""
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=clock.now().tzinfo)
    try:
        data = SuppressionCreate(
            organisation_id=organisation,
            report_type=report_type,
            network=network,
            reason=reason,
            expires_at=expires,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise fail(problems, EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        rule = SuppressionRead.model_validate(
            service.create_rule(session=session, principal=principal, data=data)
        )
    if as_json:
        emit_one(rule, as_json=True)
        return
    out.print(f"suppression rule {rule.id} added", highlight=False)


@app.command("unsuppress")
def unsuppress(rule_id: int, as_user: str | None = AsUser) -> None:
    """Lift a suppression rule."""
    with command(as_user) as (session, principal):
        service.lift_rule(session=session, principal=principal, rule_id=rule_id)
    out.print(f"suppression rule {rule_id} lifted", highlight=False)


@app.command("suppressions")
def suppressions(
    active: bool = typer.Option(False, help="Only rules in force now"),
    cursor: str | None = Cursor,
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List suppression rules, newest first."""
    with command(as_user) as (session, principal):
        page = service.list_rules(
            session=session, principal=principal, active_only=active, cursor=cursor, limit=limit
        )
        rows = [SuppressionRead.model_validate(r) for r in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=[
            "id",
            "organisation_id",
            "report_type",
            "network",
            "reason",
            "expires_at",
            "lifted_at",
        ],
        title="Suppression rules",
        next_cursor=page.next_cursor,
    )
