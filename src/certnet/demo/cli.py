"""``certnet demo``: load the synthetic Pakistani CERT network, or verify that it is loaded."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import asdict
from datetime import datetime

import typer
from rich.table import Table

from certnet.clikit import EXIT_INVALID, command, fail, out
from certnet.core import clock
from certnet.demo import generator, loader
from certnet.profiles import service as profiles

#: Domains that add demo data on top of the network, in order (advisories target the assets
#: the risk domain seeds). Each has ``certnet.<domain>.demo.seed(session=, principal=, now=)``.
DOMAIN_SEEDS = ("risk", "advisories", "incidents", "incidents.intake", "findings")


def _seed_domains(now: datetime) -> list[str]:
    """Each domain's demo data, each in its own unit of work; one summary line per domain."""
    lines = []
    for name in DOMAIN_SEEDS:
        module = importlib.import_module(f"certnet.{name}.demo")
        with out.status(f"Adding demo {name}…"), command() as (session, principal):
            line = module.seed(session=session, principal=principal, now=now)
        label = name.rsplit(".", 1)[-1]
        lines.append(line if line.startswith(f"{label}:") else f"{label}: {line}")
    return lines


def demo(
    seed: int = typer.Option(generator.DEFAULT_SEED, help="Seed of the synthetic network"),
    organisations: int = typer.Option(
        generator.DEFAULT_ORGANISATIONS,
        min=generator.MIN_ORGANISATIONS,
        max=generator.MAX_ORGANISATIONS,
        help="How many constituent organisations",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON"),
) -> None:
    """Load the demo network (CERTs, organisations, claims, contacts, a login per role).

    Idempotent: when the demo is already there it is verified and nothing changes.
    """
    try:
        plan = generator.plan(
            profiles.active(), seed=seed, organisations=organisations, today=clock.now().date()
        )
    except ValueError as exc:
        raise fail(str(exc), EXIT_INVALID) from None
    with (
        out.status(f"Loading the demo network ({organisations} organisations)…"),
        command() as (session, principal),
    ):
        report = loader.load(
            session=session, principal=principal, plan=plan, password=generator.DEMO_PASSWORD
        )
    seeded = _seed_domains(clock.now()) if report.created else []
    if as_json:
        sys.stdout.write(json.dumps({**asdict(report), "domains": seeded}, indent=2) + "\n")
        return
    if report.created:
        out.print(
            f"[bold green]Loaded[/] the demo network (seed {seed}): {report.certs} CERTs, "
            f"{report.organisations} organisations, {report.prefixes} prefixes, "
            f"{report.asns} ASNs, {report.domains} domains, {report.contacts} contacts, "
            f"{report.users} users.",
            highlight=False,
        )
        for line in seeded:
            out.print(f"  {line}", highlight=False)
    else:
        out.print(
            f"The demo network (seed {seed}, {report.organisations} organisations) is already "
            "loaded and matches: [bold]nothing changed[/].",
            highlight=False,
        )
    table = Table(title="Demo logins", header_style="bold")
    for column in ("username", "password", "role"):
        table.add_column(column, no_wrap=True)  # copied from the screen: never cut
    table.add_column("home")
    homes = {c.short_name: c.name for c in plan.certs}
    for user in plan.users:
        home = homes.get(user.home, user.home)
        table.add_row(user.username, generator.DEMO_PASSWORD, user.role.value, home)
    out.print(table)
    out.print(f"Open [bold]{generator.URL}[/] and sign in.", highlight=False)
