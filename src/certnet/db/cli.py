"""``certnet db``: migrate and check the schema."""

from __future__ import annotations

import typer

from certnet.clikit import fail, out
from certnet.db import migrate
from certnet.db.session import default_engine

app = typer.Typer(
    help="Database schema: migrate, check for drift, show the revision.", no_args_is_help=True
)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(default_engine(), revision)
    out.print(f"database at {migrate.current_revision(default_engine())}")


@app.command()
def check() -> None:
    """Fail if the database is not at head or differs from the models (drift)."""
    engine = default_engine()
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        raise fail(f"database is at {current}, code expects {head}: run 'certnet db upgrade'")
    differences = migrate.drift(engine)
    if differences:
        for difference in differences:
            out.print(f"  {difference}", highlight=False)
        raise fail(f"{len(differences)} difference(s) between models and migrations")
    out.print(f"ok: at {head}, no drift")


@app.command()
def current() -> None:
    """Print the database's revision and the code's head."""
    engine = default_engine()
    out.print(f"database: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
