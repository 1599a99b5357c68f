"""``certnet assets``, ``certnet vulns`` and ``certnet risk``."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, err, fail, out
from certnet.constituency import service as constituency
from certnet.core import clock
from certnet.core.access import Principal
from certnet.risk import service
from certnet.risk.models import MeasureState
from certnet.risk.schemas import AssetRead, ExposureRead, MeasureRead, VulnerabilityRead

assets = typer.Typer(help="What each organisation runs (assets, SBOMs).", no_args_is_help=True)
vulns = typer.Typer(help="Vulnerability intelligence: CVE, KEV, EPSS, CSAF.", no_args_is_help=True)
app = typer.Typer(help="Exposures, measures and the risk register.", no_args_is_help=True)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")
OrgOption = typer.Option(..., "--org", help="The organisation: its id or its exact name")


def _organisation_id(session: Session, principal: Principal, org: str) -> int:
    if org.isdigit():
        return int(org)
    page = constituency.list_organisations(session=session, principal=principal, q=org, limit=50)
    for found in page.items:
        if found.name == org:
            return found.id
    raise fail(f"--org: no organisation named {org!r}", EXIT_INVALID)


@assets.command("import")
def import_assets(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    org: str = OrgOption,
    exposure: str = typer.Option("controlled", help="open, controlled or small (SBOMs)"),
    criticality: str = typer.Option("medium", help="low, medium, high, critical (SBOMs)"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Import an organisation's assets from CSV or a CycloneDX SBOM (JSON)."""
    with command(as_user) as (session, principal):
        summary = service.import_assets(
            session=session,
            principal=principal,
            organisation_id=_organisation_id(session, principal, org),
            content=path.read_bytes(),
            filename=path.name,
            exposure=exposure,
            criticality=criticality,
        )
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), indent=2) + "\n")
        return
    out.print(
        f"{summary.format}: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.removed} removed; "
        f"{summary.exposures_changed} exposures changed",
        highlight=False,
    )


@assets.command("add")
def add_asset(
    org: str = OrgOption,
    name: str = typer.Option(..., help="What it is"),
    cpe: str | None = typer.Option(None, help="CPE 2.3 formatted string"),
    purl: str | None = typer.Option(None, help="package URL"),
    version: str | None = typer.Option(None),
    exposure: str = typer.Option("controlled", help="open, controlled or small"),
    criticality: str = typer.Option("medium", help="low, medium, high or critical"),
    owner_contact: str | None = typer.Option(None, help="Who to ask about it"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Add one asset."""
    with command(as_user) as (session, principal):
        asset = service.create_asset(
            session=session,
            principal=principal,
            organisation_id=_organisation_id(session, principal, org),
            item=service.AssetInput(
                name=name,
                cpe=cpe,
                purl=purl,
                version=version,
                exposure=exposure,
                criticality=criticality,
                owner_contact=owner_contact,
            ),
        )
        emit_one(AssetRead.model_validate(asset), as_json=as_json)


@assets.command("list")
def list_assets(
    org: str | None = typer.Option(None, "--org", help="Only this organisation (id or name)"),
    q: str | None = typer.Option(None, help="Product or name contains"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Assets you may see."""
    with command(as_user) as (session, principal):
        org_id = _organisation_id(session, principal, org) if org else None
        page = service.list_assets(
            session=session, principal=principal, organisation_id=org_id, q=q, limit=limit
        )
        rows = [AssetRead.model_validate(a) for a in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["id", "organisation_id", "name", "version", "cpe", "purl", "exposure"],
        next_cursor=page.next_cursor,
    )


@vulns.command("import")
def import_vulns(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    kind: str | None = typer.Option(
        None, help="cve, kev, epss or csaf; told from the file when omitted"
    ),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Import a CVE JSON 5 record (or a JSON array of them), the KEV catalogue, an EPSS CSV
    or a vendor CSAF 2.0 advisory; bad records are listed with their id and field."""
    with command(as_user) as (session, principal):
        summary = service.import_file(
            session=session,
            principal=principal,
            content=path.read_bytes(),
            filename=path.name,
            kind=kind,
        )
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), indent=2) + "\n")
        return
    out.print(
        f"{summary.kind}: {summary.imported} imported, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected; "
        f"{summary.exposures_changed} exposures changed",
        highlight=False,
    )
    for rejection in summary.rejections:
        err.print(
            f"  rejected {rejection.record}: {rejection.field}: {rejection.reason}",
            highlight=False,
        )


@vulns.command("show")
def show_vuln(
    identifier: str,
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """One vulnerability with what the sources said."""
    with command(as_user) as (session, principal):
        found = service.get_vulnerability(
            session=session, principal=principal, identifier=identifier
        )
        emit_one(VulnerabilityRead.model_validate(found), as_json=as_json)


@app.command("register")
def register(
    level: str = typer.Option("sector", help="nation, sector, province or organisation"),
    sector: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Open measures by priority and overdue, rolled up over what you may see."""
    if level not in ("nation", "sector", "province", "organisation"):
        raise fail("--level: one of nation, sector, province, organisation", EXIT_INVALID)
    with command(as_user) as (session, principal):
        found = service.register(
            session=session,
            principal=principal,
            level=level,  # type: ignore[arg-type]  # checked just above
            on=clock.now().date(),
            sector=sector,
        )
    if as_json:
        sys.stdout.write(json.dumps(found.as_dict(), indent=2) + "\n")
        return
    out.print(f"[bold]{'group':<30} immediate out-of-cycle scheduled defer overdue[/]")
    for row in [*found.rows, found.total]:
        p = row.by_priority
        out.print(
            f"{row.label[:30]:<30} {p['immediate']:>9} {p['out_of_cycle']:>12} "
            f"{p['scheduled']:>9} {p['defer']:>5} {row.overdue:>7}",
            highlight=False,
        )


@app.command("exposures")
def exposures(
    org: str | None = typer.Option(None, "--org", help="Only this organisation (id or name)"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Active exposures you may see, with their SSVC decisions."""
    with command(as_user) as (session, principal):
        org_id = _organisation_id(session, principal, org) if org else None
        page = service.list_exposures(
            session=session, principal=principal, organisation_id=org_id, limit=limit
        )
        rows = [ExposureRead.model_validate(e) for e in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=[
            "id",
            "organisation_id",
            "asset_id",
            "vulnerability_id",
            "exploitation",
            "coordinator_decision",
            "deployer_decision",
        ],
        next_cursor=page.next_cursor,
    )


@app.command("measures")
def measures(
    org: str | None = typer.Option(None, "--org", help="Only this organisation (id or name)"),
    overdue: bool = typer.Option(False, help="Only overdue ones"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Protective measures you may see."""
    with command(as_user) as (session, principal):
        org_id = _organisation_id(session, principal, org) if org else None
        page = service.list_measures(
            session=session,
            principal=principal,
            organisation_id=org_id,
            overdue_on=clock.now().date() if overdue else None,
            limit=limit,
        )
        rows = [MeasureRead.model_validate(m) for m in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["id", "organisation_id", "kind", "priority", "state", "due_on", "due_basis"],
        next_cursor=page.next_cursor,
    )


@app.command("measure")
def change_measure(
    measure_id: int,
    state: MeasureState | None = typer.Option(None, help="The new state"),
    reason: str | None = typer.Option(None, help="Why the risk is accepted"),
    until: str | None = typer.Option(None, help="Risk accepted until (YYYY-MM-DD)"),
    note: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Move a measure: open → in_progress → done → verified, or risk_accepted."""
    from_date = None
    if until:
        try:
            from_date = date.fromisoformat(until)
        except ValueError:
            raise fail("--until: a date YYYY-MM-DD", EXIT_INVALID) from None
    with command(as_user) as (session, principal):
        measure = service.change_measure(
            session=session,
            principal=principal,
            measure_id=measure_id,
            state=state,
            note=note,
            accepted_reason=reason,
            accepted_until=from_date,
        )
        emit_one(MeasureRead.model_validate(measure), as_json=as_json)


@app.command("rematch")
def rematch(as_user: str | None = AsUser) -> None:
    """Match every vulnerability against every asset again (idempotent)."""
    with command(as_user) as (session, principal):
        result = service.rematch_all(session=session, principal=principal)
    out.print(
        f"{result.assets_checked} assets checked: {result.created} exposures created, "
        f"{result.changed} changed, {result.gone} gone; {result.measures_created} measures",
        highlight=False,
    )


@app.command("snapshot")
def snapshot(as_user: str | None = AsUser) -> None:
    """Record today's register snapshot (the trend reads these)."""
    with command(as_user) as (session, principal):
        count = service.take_snapshot(session=session, principal=principal, on=clock.now().date())
    out.print(f"snapshot of {count} organisations", highlight=False)
