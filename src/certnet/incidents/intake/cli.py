"""``certnet intake``: run the e-mail intake, and read or settle its quarantine."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime

import typer
from pydantic import BaseModel, ConfigDict

from certnet.clikit import JsonOption, command, emit, emit_one, fail, out
from certnet.constituency import service as constituency
from certnet.db.session import session_factory
from certnet.incidents.intake import service
from certnet.incidents.intake.models import QuarantineReason, QuarantineState
from certnet.incidents.intake.service import MIB, IntakeLimits
from certnet.incidents.intake.smtp import IntakeHandler, controller, parse_listen

app = typer.Typer(help="Incident intake channels (e-mail).", no_args_is_help=True)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")


class QuarantinedMailRead(BaseModel):
    """A quarantined mail as the CLI prints it (without its raw bytes)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    owner_cert_id: int
    organisation_id: int | None
    envelope_from: str
    header_from: str
    subject: str
    reason: QuarantineReason
    detail: str
    raw_size: int
    truncated: bool
    state: QuarantineState
    incident_id: int | None
    decided_by: str | None
    note: str | None


def _receiving_cert(short_name: str | None) -> int:
    with command() as (session, principal):
        if short_name:
            for cert in constituency.all_certs(session=session, principal=principal):
                if cert.short_name == short_name:
                    return cert.id
            raise fail(f"--cert: no CERT {short_name!r}", 2)
        top = constituency.top_cert_id(session=session)
        if top is None:
            raise fail("there is no CERT yet: import the constituency first", 2)
        return top


@app.command("smtp")
def smtp(
    listen: str = typer.Option("127.0.0.1:2525", help="host:port to listen on"),
    cert: str | None = typer.Option(
        None,
        help="Short name of the CERT that receives mails from unknown senders "
        "(default: the top of the reporting line)",
    ),
    max_size_mib: int = typer.Option(10, min=1, help="Mails above this are quarantined"),
) -> None:
    """Run the SMTP server that turns report mails into incidents (until interrupted)."""
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise fail(f"--listen: {exc}", 2) from None
    handler = IntakeHandler(
        session_factory=session_factory(),
        receiving_cert_id=_receiving_cert(cert),
        limits=IntakeLimits(max_message_bytes=max_size_mib * MIB),
    )
    server = controller(handler, host=host, port=port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    out.print(f"certnet intake listening on {host}:{port} (Ctrl-C stops)", highlight=False)
    sys.stdout.flush()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command("quarantine")
def quarantine(
    state: QuarantineState | None = typer.Option(
        QuarantineState.HELD, help="held, released or dismissed"
    ),
    all_states: bool = typer.Option(False, "--all", help="Every state"),
    cursor: str | None = typer.Option(None, help="Continue after this cursor"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Mails the intake kept instead of accepting, newest first, with their reasons."""
    with command(as_user) as (session, principal):
        found = service.list_quarantine(
            session=session,
            principal=principal,
            state=None if all_states else state,
            cursor=cursor,
            limit=limit,
        )
        rows = [QuarantinedMailRead.model_validate(e) for e in found.items]
    emit(
        rows,
        as_json=as_json,
        columns=("id", "received_at", "header_from", "subject", "reason", "detail", "state"),
        title="intake quarantine",
        next_cursor=found.next_cursor,
    )


@app.command("show")
def show(
    quarantine_id: int = typer.Argument(..., help="Quarantine entry id"),
    raw: bool = typer.Option(False, "--raw", help="Print the raw message as received"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """One quarantined mail (``--raw``: the message itself)."""
    with command(as_user) as (session, principal):
        entry = service.get_quarantined(
            session=session, principal=principal, quarantine_id=quarantine_id
        )
        if raw:
            sys.stdout.buffer.write(entry.raw)
            return
        read = QuarantinedMailRead.model_validate(entry)
    emit_one(read, as_json=as_json)


@app.command("release")
def release(
    quarantine_id: int = typer.Argument(..., help="Quarantine entry id"),
    organisation: int | None = typer.Option(
        None, "--organisation", help="Organisation id the mail reports for"
    ),
    as_user: str | None = AsUser,
) -> None:
    """Report the held mail as an incident, after fixing what stopped it."""
    with command(as_user) as (session, principal):
        incident = service.release(
            session=session,
            principal=principal,
            quarantine_id=quarantine_id,
            organisation_id=organisation,
        )
        reference = incident.reference
    out.print(f"released #{quarantine_id} as incident {reference}", highlight=False)


@app.command("dismiss")
def dismiss(
    quarantine_id: int = typer.Argument(..., help="Quarantine entry id"),
    note: str = typer.Option(..., "--note", help="Why the mail is no report"),
    as_user: str | None = AsUser,
) -> None:
    """Mark a held mail as no report (it is kept, never deleted)."""
    with command(as_user) as (session, principal):
        service.dismiss(
            session=session, principal=principal, quarantine_id=quarantine_id, note=note
        )
    out.print(f"dismissed #{quarantine_id}", highlight=False)
