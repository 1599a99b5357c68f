"""``certnet feeds sources`` (configure where reports come from) and ``certnet feeds
collect`` (collect from them now)."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, fail, out, report
from certnet.core.errors import DomainError
from certnet.db.session import default_engine, session_factory
from certnet.feeds import sources as service
from certnet.feeds.source_models import SourceKind
from certnet.feeds.source_schemas import CollectionRead, FeedSourceCreate, FeedSourceRead

sources = typer.Typer(help="Feed sources: folders, HTTP(S) URLs, IMAP mailboxes.")

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")


@sources.command("add")
def add(
    name: str = typer.Argument(..., help="A short name (lower-case, digits, . _ -)"),
    kind: SourceKind = typer.Option(..., help="folder, http or imap"),
    location: str = typer.Option(..., help="The folder, the URL, or the IMAP server's host"),
    parser: str = typer.Option("shadowserver", help="shadowserver, stix or mapping"),
    report_type: str | None = typer.Option(None, help="The report type (default: tell)"),
    mapping: str | None = typer.Option(None, help="The mapping file of a 'mapping' source"),
    username: str | None = typer.Option(None, help="User name for the source"),
    secret_env: str | None = typer.Option(
        None, help="Environment variable holding the password or token (never the secret)"
    ),
    ca_bundle: str | None = typer.Option(None, help="PEM file of extra trusted CAs"),
    mailbox: str = typer.Option("INBOX", help="IMAP mailbox"),
    subject: str | None = typer.Option(None, help="IMAP: only mails whose subject has this"),
    sender: str | None = typer.Option(None, help="IMAP: only mails from this sender"),
    security: str = typer.Option("ssl", help="IMAP: ssl, starttls or plain"),
    port: int | None = typer.Option(None, help="IMAP port (default 993, or 143)"),
    every: int = typer.Option(60, "--every", min=1, help="Collect every N minutes"),
    disabled: bool = typer.Option(False, "--disabled", help="Add it switched off"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Add a feed source."""
    try:
        data = FeedSourceCreate.model_validate(
            {
                "name": name,
                "kind": kind,
                "location": location,
                "parser": parser,
                "report_type": report_type,
                "mapping_path": mapping,
                "username": username,
                "secret_env": secret_env,
                "options": {
                    k: v
                    for k, v in {
                        "ca_bundle": ca_bundle,
                        "mailbox": mailbox,
                        "subject": subject,
                        "sender": sender,
                        "security": security,
                        "port": port,
                    }.items()
                    if v is not None
                },
                "every_minutes": every,
                "enabled": not disabled,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise fail(f"{where}: {first['msg']}", EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        source = service.add_source(session=session, principal=principal, data=data)
        read = FeedSourceRead.model_validate(source)
    emit_one(read, as_json=as_json)


@sources.command("list")
def list_(as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """List the feed sources."""
    with command(as_user) as (session, principal):
        rows = [
            FeedSourceRead.model_validate(s)
            for s in service.list_sources(session=session, principal=principal)
        ]
    emit(
        rows,
        as_json=as_json,
        columns=["name", "kind", "location", "parser", "every_minutes", "enabled", "last_error"],
        title="Feed sources",
    )


@sources.command("remove")
def remove(name: str, as_user: str | None = AsUser) -> None:
    """Remove a feed source (what it collected stays)."""
    with command(as_user) as (session, principal):
        service.remove_source(session=session, principal=principal, name=name)
    out.print(f"removed feed source {name}", highlight=False)


def collect(
    source: str | None = typer.Argument(None, help="One source (default: every enabled one)"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Collect reports from feed sources now and ingest them."""
    with command(as_user) as (session, principal):
        names = (
            [source]
            if source
            else [
                s.name
                for s in service.list_sources(session=session, principal=principal)
                if s.enabled
            ]
        )
        # A plain value (ids and a role), safe to use after this unit of work.
        acting = principal
    results: list[CollectionRead] = []
    factory = session_factory(default_engine())
    for name in names:
        try:
            results.append(service.collect(factory, name=name, principal=acting))
        except DomainError as exc:
            raise report(exc) from None
    if as_json:
        out.print_json(data=[r.model_dump(mode="json") for r in results])
    else:
        for result in results:
            _print(result)
    if any(r.error or any(x.error for x in r.reports) for r in results):
        raise typer.Exit(1)


def _print(result: CollectionRead) -> None:
    if result.error:
        out.print(f"{result.source}: {result.error}", style="red", highlight=False)
    if not result.reports and not result.error:
        out.print(f"{result.source}: nothing new", highlight=False)
    for item in result.reports:
        if item.error:
            out.print(f"{result.source}: {item.report} refused: {item.error}", highlight=False)
        elif item.run is not None:
            run = item.run
            state = "already ingested" if run.already_ingested else "ingested"
            out.print(
                f"{result.source}: {item.report} {state} as run {run.id} ({run.report_type}): "
                f"{run.rows} rows, {run.stored} stored, {run.duplicates} duplicates, "
                f"{run.quarantined} quarantined",
                highlight=False,
            )
