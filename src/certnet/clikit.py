"""What every domain's CLI shares: the acting principal, the unit of work, errors as exit
codes with a message naming what is wrong, and output as a table or as JSON."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from certnet.core.access import Principal
from certnet.core.errors import DomainError
from certnet.db import migrate
from certnet.db.session import default_engine, unit_of_work
from certnet.identity import service as identity

out = Console()
err = Console(stderr=True)

#: Exit codes: 1 a domain error (not found, forbidden, conflict), 2 bad input.
EXIT_ERROR, EXIT_INVALID = 1, 2

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``message`` on stderr and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def report(exc: DomainError) -> typer.Exit:
    """A domain error as the CLI says it: a line, then one line per field."""
    err.print(f"[bold red]error:[/] {exc.detail}", highlight=False)
    for field_error in exc.errors:
        err.print(f"  {field_error.field}: {field_error.reason}", highlight=False)
    return typer.Exit(EXIT_INVALID if exc.status in (400, 422) else EXIT_ERROR)


def acting_principal(session: Session, username: str | None) -> Principal:
    """``--as USER`` acts as that user (through the access policy like any request); without
    it, the CLI is the operator of this installation (full tenancy; TLP:RED still applies)."""
    if not username:
        return Principal.system(f"cli:{getpass.getuser()}")
    user = identity.active_user_named(session=session, username=username)
    if user is None:
        raise fail(f"--as: no active user {username!r}", EXIT_INVALID)
    return identity.principal_for(session=session, user=user)


@contextmanager
def command(as_user: str | None = None) -> Iterator[tuple[Session, Principal]]:
    """One CLI command: a unit of work and the principal, domain errors turned into exits."""
    try:
        with unit_of_work() as session:
            yield session, acting_principal(session, as_user or os.environ.get("CERTNET_AS"))
    except DomainError as exc:
        raise report(exc) from None
    except OperationalError as exc:
        raise fail(database_problem(exc)) from None


def database_problem(exc: OperationalError) -> str:
    """Say what is wrong with the database in words an operator acts on: unreachable, or not
    migrated yet; the password in the URL is never printed."""
    engine = default_engine()
    where = engine.url.render_as_string(hide_password=True)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    except OperationalError:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"cannot reach the database {where}: {reason}"
    if current != head:
        return (
            f"the database {where} is at revision {current or 'none'}, this certnet needs "
            f"{head}: run 'certnet db upgrade'"
        )
    return f"database error on {where}: {str(exc.orig or exc).strip().splitlines()[0]}"


def emit(
    rows: Sequence[BaseModel],
    *,
    as_json: bool,
    columns: Sequence[str],
    title: str | None = None,
    next_cursor: str | None = None,
) -> None:
    """Print models as a table (the named columns) or as JSON (every field)."""
    if as_json:
        payload: Any = [r.model_dump(mode="json") for r in rows]
        if next_cursor is not None:
            payload = {"items": payload, "next_cursor": next_cursor}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        data = row.model_dump(mode="json")
        table.add_row(*("" if data.get(c) is None else str(data.get(c)) for c in columns))
    out.print(table)
    if next_cursor:
        out.print(f"more: --cursor {next_cursor}", style="dim")


def emit_one(model: BaseModel, *, as_json: bool) -> None:
    """Print one model as JSON or as aligned key: value lines."""
    if as_json:
        sys.stdout.write(model.model_dump_json(indent=2) + "\n")
        return
    for key, value in model.model_dump(mode="json").items():
        out.print(f"[bold]{key}[/]: {'' if value is None else value}", highlight=False)
