"""``certnet audit``: verify and read the audit chain."""

from __future__ import annotations

import typer

from certnet.clikit import JsonOption, command, emit, fail, out
from certnet.ops import service
from certnet.ops.schemas import AuditEntryRead, AuditVerificationRead

app = typer.Typer(help="The audit chain.", no_args_is_help=True)


@app.command()
def verify(as_json: bool = JsonOption) -> None:
    """Walk the chain; exit 1 and name the first broken entry if anything was changed."""
    with command() as (session, principal):
        result = service.verify_audit(session=session, principal=principal)
    if as_json:
        out.print_json(
            AuditVerificationRead(
                ok=result.ok,
                entries=result.entries,
                broken_seq=result.broken_seq,
                reason=result.reason,
            ).model_dump_json()
        )
    if not result.ok:
        raise fail(f"audit chain broken at entry {result.broken_seq}: {result.reason}")
    if not as_json:
        out.print(f"ok: {result.entries} entries, chain intact")


@app.command("list")
def list_entries(
    object_type: str | None = typer.Option(None),
    object_id: str | None = typer.Option(None),
    actor: str | None = typer.Option(None),
    limit: int = typer.Option(50, min=1, max=1000),
    cursor: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = typer.Option(None, "--as"),
) -> None:
    """List audit entries in chain order."""
    with command(as_user) as (session, principal):
        page = service.list_audit(
            session=session,
            principal=principal,
            object_type=object_type,
            object_id=object_id,
            actor=actor,
            cursor=cursor,
            limit=limit,
        )
        rows = [AuditEntryRead.model_validate(e) for e in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["seq", "at", "actor", "action", "object_type", "object_id"],
        title="Audit",
        next_cursor=page.next_cursor,
    )
