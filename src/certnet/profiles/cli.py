"""``certnet profiles``: the national schemes certnet knows."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from certnet.clikit import JsonOption, out, report
from certnet.core.errors import DomainError
from certnet.profiles import service

app = typer.Typer(help="Jurisdiction profiles.", no_args_is_help=True)


@app.command("list")
def list_profiles() -> None:
    """Profiles that can be used as CERTNET_PROFILE."""
    active = service.active().id
    for profile_id in service.available():
        profile = service.load(profile_id)
        mark = "*" if profile_id == active else " "
        out.print(f"{mark} {profile_id:24} {profile.name}", highlight=False)


@app.command()
def show(
    profile_id: str = typer.Argument(None, help="Default: the active profile"),
    as_json: bool = JsonOption,
) -> None:
    """Tiers, sectors, regions and clocks of a profile; policy values are marked as such."""
    try:
        profile = service.load(profile_id) if profile_id else service.active()
    except DomainError as exc:
        raise report(exc) from None
    if as_json:
        sys.stdout.write(profile.model_dump_json(indent=2) + "\n")
        return
    out.print(f"[bold]{profile.name}[/] ({profile.id})")
    out.print(f"reporting line: {profile.reporting_line}", highlight=False)
    for tier in profile.tiers:
        parents = ", ".join(tier.parents) or "top"
        out.print(f"  tier {tier.id:16} {tier.name}  (under: {parents})", highlight=False)
    for clock in profile.clocks:
        out.print(
            escape(
                f"  clock {clock.id:16} {clock.hours:>5} h  [{clock.basis.value}] {clock.source}"
            ),
            highlight=False,
        )
