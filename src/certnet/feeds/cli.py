"""``certnet feeds``: ingest reports, and read runs and quarantined rows, from a shell."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import BaseModel
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from certnet.clikit import JsonOption, command, emit, emit_one, err, out, report
from certnet.config import get_settings
from certnet.core.errors import DomainError
from certnet.feeds import service
from certnet.feeds.parsers import schema_store
from certnet.feeds.parsers.mapping import parser_for_mapping
from certnet.feeds.schemas import FeedRunRead, FeedRunSummary, QuarantinedRowRead

app = typer.Typer(help="Security feeds.", no_args_is_help=True)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")


@app.command("ingest")
def ingest(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    report_type: str = typer.Option(
        "auto", "--type", help="The report type, or 'auto' to tell it from the file"
    ),
    source: str = typer.Option("shadowserver", help="Who publishes the report"),
    mapping: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        readable=True,
        help="A mapping file (TOML) describing a CSV/JSON feed; replaces --source",
    ),
    batch_size: int = typer.Option(
        50_000, min=1, help="Rows per batch (and per commit): memory grows with it"
    ),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Ingest a report: every row is stored, a duplicate, or quarantined with its reason.

    Each batch is committed as it is stored, so an interrupted run can simply be run again:
    nothing is lost and nothing is stored twice."""
    size = path.stat().st_size
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            transient=True,
            console=err,
        ) as bar,
        command(as_user) as (session, principal),
        path.open("rb") as stream,
    ):
        task = bar.add_task(f"ingesting {path.name}", total=size)
        summary = service.ingest(
            session=session,
            principal=principal,
            parser=parser_for_mapping(mapping) if mapping else service.parser_for(source),
            stream=stream,
            filename=path.name,
            report_type=None if report_type == "auto" else report_type,
            batch_size=batch_size,
            checkpoint=session.commit,
            progress=lambda done: bar.update(task, completed=done),
        )
    if as_json:
        emit_one(summary, as_json=True)
        return
    _print_summary(path.name, summary)


def _print_summary(name: str, summary: FeedRunSummary) -> None:
    if summary.already_ingested:
        out.print(
            f"{name} was already ingested as run {summary.id} ({summary.report_type}): "
            "nothing changed",
            highlight=False,
        )
    table = Table(title=f"run {summary.id}: {summary.report_type}", header_style="bold")
    for column in ("rows", "stored", "duplicates", "quarantined", "unowned", "elapsed", "rows/s"):
        table.add_column(column, justify="right")
    table.add_row(
        str(summary.rows),
        str(summary.stored),
        str(summary.duplicates),
        str(summary.quarantined),
        str(summary.unowned),
        f"{summary.elapsed_seconds:.2f} s",
        f"{summary.rows_per_second:,.0f}",
    )
    out.print(table)
    if summary.quarantined:
        out.print(f"see the quarantined rows: certnet feeds quarantine {summary.id}", style="dim")


@app.command("runs")
def runs(
    report_type: str | None = typer.Option(None, "--type", help="Only this report type"),
    cursor: str | None = typer.Option(None, help="next_cursor of the previous page"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List feed runs, newest first."""
    with command(as_user) as (session, principal):
        page = service.list_runs(
            session=session,
            principal=principal,
            report_type=report_type,
            cursor=cursor,
            limit=limit,
        )
        rows = [FeedRunRead.model_validate(r) for r in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=[
            "id",
            "report_type",
            "filename",
            "state",
            "rows",
            "stored",
            "duplicates",
            "quarantined",
            "unowned",
            "run_by",
        ],
        title="Feed runs",
        next_cursor=page.next_cursor,
    )


@app.command("quarantine")
def quarantine(
    run_id: int,
    cursor: str | None = typer.Option(None, help="next_cursor of the previous page"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Show the rows a run quarantined: line, reason and original text."""
    with command(as_user) as (session, principal):
        page = service.list_quarantine(
            session=session, principal=principal, run_id=run_id, cursor=cursor, limit=limit
        )
        rows = [QuarantinedRowRead.model_validate(r) for r in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["line", "field", "reason", "raw"],
        title=f"Quarantined rows of run {run_id}",
        next_cursor=page.next_cursor,
    )


# --- certnet feeds schema: Shadowserver's report schema (the parser half of the feeds) ---

schema = typer.Typer(help="Shadowserver's report schema that drives parsing.", no_args_is_help=True)
app.add_typer(schema, name="schema")


class ReportTypeRead(BaseModel):
    """One report type as ``certnet feeds schema show`` lists it."""

    report_type: str
    feed_name: str
    taxonomy: str | None
    type: str | None
    identifier: str | None


@schema.command("import")
def import_schema(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_user: str | None = AsUser,
) -> None:
    """Check and install a copy of Shadowserver's intelmq.json (refused whole if certnet
    cannot parse every report type in it faithfully; the installed copy then stays)."""
    with command(as_user) as (session, principal):
        installed = schema_store.import_schema(
            session=session, principal=principal, settings=get_settings(), source=path
        )
    out.print(
        f"imported {len(installed.reports)} report types "
        f"(schema of {installed.created or 'unknown date'}, sha256 {installed.sha256[:16]})",
        highlight=False,
    )


@schema.command("show")
def show_schema(as_json: bool = JsonOption) -> None:
    """The installed schema: its date and its report types with their RSIT classification."""
    try:
        installed = schema_store.installed_schema(settings=get_settings())
    except DomainError as exc:
        raise report(exc) from None
    rows = [
        ReportTypeRead(
            report_type=r.report_type,
            feed_name=r.feed_name,
            taxonomy=r.constants.get("classification.taxonomy"),
            type=r.constants.get("classification.type"),
            identifier=r.constants.get("classification.identifier"),
        )
        for r in sorted(installed.reports.values(), key=lambda r: r.report_type)
    ]
    emit(
        rows,
        as_json=as_json,
        columns=["report_type", "feed_name", "taxonomy", "type", "identifier"],
        title=f"Shadowserver report types (schema of {installed.created or 'unknown date'})",
    )
