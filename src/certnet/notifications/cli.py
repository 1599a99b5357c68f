"""``certnet notifications``: the outbox — list, show, send due mail, retry a failed one."""

from __future__ import annotations

import typer

from certnet.clikit import JsonOption, command, emit, emit_one, out
from certnet.config import get_settings
from certnet.db.session import default_engine, session_factory
from certnet.notifications import service
from certnet.notifications.models import MessageState
from certnet.notifications.schemas import DeliveryRead, MessageRead

app = typer.Typer(help="Outgoing notifications (the outbox).", no_args_is_help=True)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")


@app.command("list")
def list_messages(
    state: MessageState | None = typer.Option(None, help="Only messages in this state"),
    ticket: str | None = typer.Option(None, help="Only this ticket"),
    cursor: str | None = typer.Option(None, help="next_cursor of the previous page"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Outgoing messages, newest first."""
    with command(as_user) as (session, principal):
        page = service.list_messages(
            session=session,
            principal=principal,
            state=state,
            ticket=ticket,
            cursor=cursor,
            limit=limit,
        )
        rows = [MessageRead.model_validate(m) for m in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["id", "ticket", "state", "attempts", "recipients", "subject", "last_error"],
        title="Outbox",
        next_cursor=page.next_cursor,
    )


@app.command("show")
def show(message_id: int, as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """One message with its delivery state."""
    with command(as_user) as (session, principal):
        found = MessageRead.model_validate(
            service.get_message(session=session, principal=principal, message_id=message_id)
        )
    emit_one(found, as_json=as_json)


@app.command("send")
def send(
    limit: int = typer.Option(500, min=1, help="At most this many messages"),
    as_json: bool = JsonOption,
) -> None:
    """Send the due messages now over SMTP (the worker does this every 30 seconds)."""
    settings = get_settings()
    # Checks the database the way every command does, before any sending starts.
    with command(None):
        pass
    report = service.deliver_due(session_factory(default_engine()), settings, limit=limit)
    result = DeliveryRead(sent=report.sent, failed=report.failed, retrying=report.retrying)
    if as_json:
        emit_one(result, as_json=True)
        return
    out.print(
        f"sent {report.sent}, failed {report.failed}, retrying later {report.retrying}",
        highlight=False,
    )


@app.command("retry")
def retry(message_id: int, as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """Queue a failed message again."""
    with command(as_user) as (session, principal):
        found = MessageRead.model_validate(
            service.retry(session=session, principal=principal, message_id=message_id)
        )
    emit_one(found, as_json=as_json)
