"""The ``certnet`` command: one Typer app over the same services as the API and console."""

from __future__ import annotations

import os

import typer
import uvicorn

from certnet.advisories import cli as advisories_cli
from certnet.config import get_settings
from certnet.constituency import cli as constituency_cli
from certnet.db import cli as db_cli
from certnet.demo import cli as demo_cli
from certnet.feeds import cli as feeds_cli
from certnet.feeds import cli_sources as feeds_sources_cli
from certnet.findings import cli as findings_cli
from certnet.identity import cli as identity_cli
from certnet.incidents import cli as incidents_cli
from certnet.incidents.intake import cli as intake_cli
from certnet.jobs import cli as jobs_cli
from certnet.notifications import cli as notifications_cli
from certnet.ops import cli as ops_cli
from certnet.profiles import cli as profiles_cli
from certnet.risk import cli as risk_cli

app = typer.Typer(
    name="certnet",
    help="certnet: the platform a national network of CERTs runs on.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(constituency_cli.certs, name="certs")
app.add_typer(constituency_cli.orgs, name="orgs")
app.add_typer(constituency_cli.constituency, name="constituency")
app.command("lookup")(constituency_cli.lookup)
app.add_typer(identity_cli.users, name="users")
app.add_typer(identity_cli.tokens, name="tokens")
app.add_typer(ops_cli.app, name="audit")
app.add_typer(feeds_cli.app, name="feeds")
feeds_cli.app.add_typer(feeds_sources_cli.sources, name="sources")
feeds_cli.app.command("collect")(feeds_sources_cli.collect)
app.add_typer(findings_cli.app, name="findings")
app.add_typer(notifications_cli.app, name="notifications")
app.add_typer(incidents_cli.app, name="incidents")
app.add_typer(intake_cli.app, name="intake")
app.add_typer(risk_cli.assets, name="assets")
app.add_typer(risk_cli.vulns, name="vulns")
app.add_typer(risk_cli.app, name="risk")
app.add_typer(advisories_cli.app, name="advisories")
app.add_typer(profiles_cli.app, name="profiles")
app.command("worker")(jobs_cli.worker)
app.command("demo")(demo_cli.demo)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port"),
    workers: int = typer.Option(1, min=1, help="Worker processes (stateless; scale out freely)"),
) -> None:
    """Serve the API and the console.

    With one process on the embedded SQLite, background jobs (sending mail, collecting
    feeds, reminders) run inside it; on PostgreSQL, run ``certnet worker`` processes."""
    if workers == 1:
        os.environ.setdefault("CERTNET_EMBEDDED_WORKER", "true")
        get_settings.cache_clear()
    settings = get_settings()
    uvicorn.run(
        "certnet.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # certnet logs each request itself, with its request id
    )


if __name__ == "__main__":
    app()
