"""``certnet certs``, ``certnet orgs`` and ``certnet lookup``: the constituency from a shell."""

from __future__ import annotations

import csv
import itertools
import json
import sys
from pathlib import Path

import typer
from rich.progress import Progress

from certnet.clikit import EXIT_INVALID, JsonOption, command, emit, emit_one, err, fail, out
from certnet.constituency import importer, service
from certnet.constituency.lookup import UNCLAIMED, Owner, build_index, describe_owners
from certnet.constituency.schemas import (
    CertCreate,
    CertRead,
    ContactRead,
    OrganisationRead,
    ResourceCreate,
    ResourceRead,
)

AsUser = typer.Option(None, "--as", help="Act as this user (default: the operator)")

certs = typer.Typer(help="CERTs on the reporting line.", no_args_is_help=True)
orgs = typer.Typer(help="Constituent organisations.", no_args_is_help=True)


@certs.command("list")
def list_certs(
    tier: str | None = typer.Option(None, help="Only this tier"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List CERTs."""
    with command(as_user) as (session, principal):
        rows = [
            CertRead.model_validate(c)
            for c in service.all_certs(session=session, principal=principal)
            if tier is None or c.tier == tier
        ]
    emit(
        rows,
        as_json=as_json,
        columns=["id", "short_name", "name", "tier", "parent_id"],
        title="CERTs",
    )


@certs.command("show")
def show_cert(cert_id: int, as_json: bool = JsonOption, as_user: str | None = AsUser) -> None:
    """Show one CERT, its contacts and its escalation chain."""
    with command(as_user) as (session, principal):
        cert = CertRead.model_validate(
            service.get_cert(session=session, principal=principal, cert_id=cert_id)
        )
        chain = service.escalation_chain(session=session, principal=principal, cert_id=cert_id)
        contacts = [
            ContactRead.model_validate(c)
            for c in service.list_contacts(session=session, principal=principal, cert_id=cert_id)
        ]
    emit_one(cert, as_json=as_json)
    if not as_json:
        out.print("chain: " + " → ".join(c.short_name for c in chain), highlight=False)
        emit(
            contacts,
            as_json=False,
            columns=["role", "name", "email", "phone", "tlp"],
            title="Contacts",
        )


@certs.command("create")
def create_cert(
    name: str = typer.Option(...),
    short_name: str = typer.Option(...),
    tier: str = typer.Option(...),
    parent_id: int | None = typer.Option(None),
    sector: str | None = typer.Option(None),
    province: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Add a CERT."""
    with command(as_user) as (session, principal):
        data = CertCreate(
            name=name,
            short_name=short_name,
            tier=tier,
            parent_id=parent_id,
            sector=sector,
            province=province,
        )
        cert = CertRead.model_validate(
            service.create_cert(session=session, principal=principal, data=data)
        )
    emit_one(cert, as_json=as_json)


@orgs.command("list")
def list_orgs(
    cert_id: int | None = typer.Option(None, help="Only this CERT's constituents"),
    sector: str | None = typer.Option(None),
    cii: bool | None = typer.Option(None, "--cii/--not-cii"),
    q: str | None = typer.Option(None, help="Name contains"),
    limit: int = typer.Option(50, min=1, max=1000),
    cursor: str | None = typer.Option(None),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """List organisations."""
    with command(as_user) as (session, principal):
        page = service.list_organisations(
            session=session,
            principal=principal,
            cert_id=cert_id,
            sector=sector,
            cii=cii,
            q=q,
            cursor=cursor,
            limit=limit,
        )
        rows = [OrganisationRead.model_validate(o) for o in page.items]
    emit(
        rows,
        as_json=as_json,
        columns=["id", "name", "sector", "province", "cii_grade", "cert_id"],
        title="Organisations",
        next_cursor=page.next_cursor,
    )


@orgs.command("show")
def show_org(
    organisation_id: int, as_json: bool = JsonOption, as_user: str | None = AsUser
) -> None:
    """Show one organisation with its resources and contacts."""
    with command(as_user) as (session, principal):
        org = OrganisationRead.model_validate(
            service.get_organisation(
                session=session, principal=principal, organisation_id=organisation_id
            )
        )
        resources = [
            ResourceRead.model_validate(r)
            for r in service.list_resources(
                session=session, principal=principal, organisation_id=organisation_id, limit=1000
            ).items
        ]
        contacts = [
            ContactRead.model_validate(c)
            for c in service.list_contacts(
                session=session, principal=principal, organisation_id=organisation_id
            )
        ]
    emit_one(org, as_json=as_json)
    if not as_json:
        emit(resources, as_json=False, columns=["kind", "value"], title="Resources")
        emit(
            contacts,
            as_json=False,
            columns=["role", "name", "email", "valid_until", "tlp"],
            title="Contacts",
        )


@orgs.command("claim")
def claim(
    organisation_id: int, value: str, as_json: bool = JsonOption, as_user: str | None = AsUser
) -> None:
    """Claim a prefix, ASN or domain for an organisation."""
    with command(as_user) as (session, principal):
        resource = ResourceRead.model_validate(
            service.add_resource(
                session=session,
                principal=principal,
                organisation_id=organisation_id,
                data=ResourceCreate(value=value),
            )
        )
    emit_one(resource, as_json=as_json)


def lookup(
    query: str | None = typer.Argument(None, help="An IP address, an ASN (AS64500) or a domain"),
    batch: typer.FileText | None = typer.Option(
        None,
        "--batch",
        help="Resolve every IP address in this file (one a line; - for stdin) through the bulk "
        "index, as the operator (refuses --as). Prints CSV address,organisation_id,organisation,"
        "cert (empty when unclaimed) or a JSON array with --json. Blank and # lines are "
        "skipped; a line that is not an IP address is named on stderr and left out; exit 2 "
        "only when no line was an address.",
    ),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Who is responsible for an address, an ASN or a domain, and the escalation chain.

    With --batch FILE, who is responsible for each IP address in a file (operator only).
    """
    # --batch: the index sees every claim (it answers as the system), so a user's access
    # policy cannot be applied to it; refusing --as is the honest answer.
    if batch is not None:
        if query is not None:
            raise fail("give one QUERY or --batch FILE, not both", EXIT_INVALID)
        with command(as_user) as (session, principal):
            if principal.user_id is not None:
                raise fail(
                    "--batch answers as the operator, through an index that sees every claim; "
                    "it cannot apply a user's access policy. Drop --as (and CERTNET_AS), or "
                    "look up single addresses with --as.",
                    EXIT_INVALID,
                )
            index = build_index(session=session)
            known: dict[int, Owner] = {}
            lines = ((number, text.strip()) for number, text in enumerate(batch, start=1))
            wanted = ((number, text) for number, text in lines if text and text[0] != "#")
            rows = csv.writer(sys.stdout, lineterminator="\n")
            if not as_json:
                rows.writerow(["address", "organisation_id", "organisation", "cert"])
            separator, seen, claimed, invalid = "[\n  ", 0, 0, 0
            # Chunks keep memory bounded for any file size while numpy still gets big batches.
            while chunk := list(itertools.islice(wanted, 50_000)):
                answer = index.resolve([text for _, text in chunk])
                ids = answer.organisation_ids.tolist()
                fresh = set(ids) - known.keys() - {UNCLAIMED}
                known.update(
                    describe_owners(session=session, principal=principal, organisation_ids=fresh)
                )
                for (number, text), organisation_id, bad in zip(
                    chunk, ids, answer.invalid.tolist(), strict=True
                ):
                    seen += 1
                    if bad:
                        invalid += 1
                        err.print(f"line {number}: {text!r} is not an IP address", highlight=False)
                        continue
                    owner = known.get(organisation_id)
                    claimed += owner is not None
                    if as_json:
                        sys.stdout.write(
                            separator
                            + json.dumps(
                                {
                                    "address": text,
                                    "organisation_id": owner and owner.organisation_id,
                                    "organisation": owner and owner.organisation,
                                    "cert": owner and owner.cert,
                                },
                                ensure_ascii=False,
                            )
                        )
                        separator = ",\n  "
                    elif owner is None:
                        rows.writerow([text, "", "", ""])
                    else:
                        rows.writerow([text, owner.organisation_id, owner.organisation, owner.cert])
        if as_json:
            sys.stdout.write("[]\n" if separator == "[\n  " else "\n]\n")
        err.print(
            f"lines: {seen}, claimed: {claimed}, unclaimed: {seen - claimed - invalid}, "
            f"not IP addresses: {invalid}",
            highlight=False,
        )
        if seen and invalid == seen:
            raise typer.Exit(EXIT_INVALID)
        return
    if query is None:
        raise fail("give a QUERY (an address, an ASN or a domain) or --batch FILE", EXIT_INVALID)
    with command(as_user) as (session, principal):
        result = service.responsible_for(session=session, principal=principal, query=query)
    if as_json:
        emit_one(result, as_json=True)
        return
    org = result.organisation
    out.print(f"[bold]{result.query}[/] → {org.name} (matched {result.matched})", highlight=False)
    out.print(
        f"  sector: {org.sector}  province: {org.province or '-'}  "
        f"CII: {org.cii_grade if org.cii else 'no'}",
        highlight=False,
    )
    out.print("  chain: " + " → ".join(c.name for c in result.escalation_chain), highlight=False)


constituency = typer.Typer(help="The constituency as a whole: bulk import.", no_args_is_help=True)


@constituency.command("import")
def import_file(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="A CSV or JSON file"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Import organisations, their claims and contacts, all or nothing.

    Every bad row is listed with its line (CSV) or path (JSON); if any is bad, nothing is
    written. The format is in docs/constituency-import.md."""
    with (
        Progress(transient=True, console=err) as bar,
        command(as_user) as (session, principal),
    ):
        task = bar.add_task(f"importing {path.name}", total=None)
        report = importer.import_constituency(
            session=session,
            principal=principal,
            content=path.read_bytes(),
            filename=path.name,
            dry_run=dry_run,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        emit_one(report, as_json=True)
        return
    out.print(
        f"{path.name} ({report.format}): organisations {report.organisations_created} created, "
        f"{report.organisations_updated} updated, {report.organisations_unchanged} unchanged; "
        f"resources {report.resources_added} added, {report.resources_unchanged} unchanged; "
        f"contacts {report.contacts_added} added, {report.contacts_updated} updated, "
        f"{report.contacts_unchanged} unchanged",
        highlight=False,
    )
    for outcome in report.organisations:
        details = ", ".join(
            part
            for part in (
                f"fields: {', '.join(outcome.changed_fields)}" if outcome.changed_fields else "",
                f"+{len(outcome.resources_added)} resources" if outcome.resources_added else "",
                f"+{len(outcome.contacts_added)} contacts" if outcome.contacts_added else "",
                f"~{len(outcome.contacts_updated)} contacts" if outcome.contacts_updated else "",
            )
            if part
        )
        out.print(f"  {outcome.action:9} {outcome.name}  {details}", highlight=False)
    if dry_run:
        out.print("dry run: nothing was written", style="dim")
