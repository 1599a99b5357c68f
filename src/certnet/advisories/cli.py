"""``certnet advisories``: list, show, create, publish and export advisories, and read the
answers of the organisations they went to."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from certnet.advisories import answers, csaf, dissemination, service
from certnet.advisories.models import Advisory, AdvisoryStatus
from certnet.advisories.schemas import (
    AdvisoryCreate,
    AdvisoryRead,
    DisseminationRead,
    PublishRequest,
    RevisionRead,
)
from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, fail, out
from certnet.core.access import Principal

app = typer.Typer(help="Security advisories (CSAF 2.0).", no_args_is_help=True)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")
Ref = typer.Argument(..., help="The advisory's id or tracking id (PKCERT-2026-0001)")


def _find(session: Session, principal: Principal, ref: str) -> Advisory:
    if ref.isdigit():
        return service.get(session=session, principal=principal, advisory_id=int(ref))
    return service.get_by_tracking_id(session=session, principal=principal, tracking_id=ref)


@app.command("list")
def list_advisories(
    status: AdvisoryStatus | None = typer.Option(None, help="Only this status"),
    cursor: str | None = typer.Option(None, help="next_cursor of the previous page"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Advisories you may see, newest first."""
    with command(as_user) as (session, principal):
        page = service.list_advisories(
            session=session, principal=principal, status=status, cursor=cursor, limit=limit
        )
        rows = [AdvisoryRead.model_validate(a) for a in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["id", "tracking_id", "tlp", "status", "version", "title"],
        title="Advisories",
        next_cursor=page.next_cursor,
    )


@app.command("show")
def show(ref: str = Ref, as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """One advisory, its revisions and where it went."""
    with command(as_user) as (session, principal):
        advisory = _find(session, principal, ref)
        read = AdvisoryRead.model_validate(advisory)
        history = [
            RevisionRead.model_validate(r)
            for r in service.revisions(
                session=session, principal=principal, advisory_id=advisory.id
            )
        ]
        sent = [
            DisseminationRead.model_validate(d)
            for d in dissemination.disseminations(
                session=session, principal=principal, advisory_id=advisory.id, limit=1000
            ).items
        ]
    if as_json:
        payload = {
            "advisory": read.model_dump(mode="json"),
            "revisions": [r.model_dump(mode="json") for r in history],
            "disseminations": [d.model_dump(mode="json") for d in sent],
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    emit_one(read, as_json=False)
    emit(history, as_json=False, columns=["number", "status", "published_at", "summary"])
    emit(sent, as_json=False, columns=["version", "organisation_id", "recipients", "sent_at"])


@app.command("create")
def create(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Create a draft from a JSON file shaped like the API's AdvisoryCreate."""
    try:
        data = AdvisoryCreate.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise fail(f"{path.name}: {where}: {first['msg']}", EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        made = AdvisoryRead.model_validate(
            service.create(session=session, principal=principal, data=data)
        )
    emit_one(made, as_json=as_json)


@app.command("publish")
def publish(
    ref: str = Ref,
    status: AdvisoryStatus = typer.Option(AdvisoryStatus.FINAL, help="interim or final"),
    summary: str = typer.Option("Initial version.", help="What this revision changes"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Publish the next revision and send it to the organisations whose assets match."""
    try:
        request = PublishRequest(status=status, summary=summary)
    except ValidationError as exc:
        raise fail(f"--status: {exc.errors()[0]['msg']}", EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        advisory = _find(session, principal, ref)
        done = service.publish(
            session=session, principal=principal, advisory_id=advisory.id, data=request
        )
        sent = [DisseminationRead.model_validate(d) for d in done.disseminations]
        line = (
            f"{done.advisory.tracking_id} version {done.revision.number} "
            f"({done.revision.status.value}) sent to {len(sent)} organisation(s)"
        )
    if as_json:
        sys.stdout.write(json.dumps([d.model_dump(mode="json") for d in sent], indent=2) + "\n")
        return
    out.print(line)
    emit(sent, as_json=False, columns=["organisation_name", "recipients", "sent_at"])


@app.command("export")
def export(
    ref: str = Ref,
    version: int | None = typer.Option(None, min=1, help="A revision (default: the latest)"),
    preview: bool = typer.Option(False, help="The current content as a draft / next revision"),
    output: Path | None = typer.Option(None, "--out", help="Write here instead of stdout"),
    as_user: str | None = AsUser,
) -> None:
    """Print a published revision's CSAF 2.0 document (as it went out)."""
    with command(as_user) as (session, principal):
        advisory = _find(session, principal, ref)
        if preview:
            document = service.preview(
                session=session, principal=principal, advisory_id=advisory.id
            )
        else:
            document = service.document(
                session=session, principal=principal, advisory_id=advisory.id, version=version
            ).document
    content = csaf.canonical_bytes(document)
    if output is None:
        sys.stdout.write(content.decode() + "\n")
    else:
        output.write_bytes(content)
        out.print(f"wrote {output} ({len(content)} bytes)")


@app.command("answers")
def answers_command(
    ref: str = Ref, as_json: bool = JsonOption, as_user: str | None = AsUser
) -> None:
    """Who the advisory went to, what each answered, and who is overdue."""
    with command(as_user) as (session, principal):
        advisory = _find(session, principal, ref)
        board = answers.answer_board(session=session, principal=principal, advisory_id=advisory.id)
    if as_json:
        emit_one(board, as_json=True)
        return
    emit(
        board.rows,
        as_json=False,
        columns=["organisation_name", "version", "sent_at", "status", "answered_at", "overdue"],
        title=f"{board.tracking_id}: answers",
    )
    counts = ", ".join(f"{k} {v}" for k, v in board.counts.items())
    out.print(counts)
