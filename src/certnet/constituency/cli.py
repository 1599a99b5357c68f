"""``certnet certs``, ``certnet orgs`` and ``certnet lookup``: the constituency from a shell."""

from __future__ import annotations

import typer

from certnet.clikit import JsonOption, command, emit, emit_one, out
from certnet.constituency import service
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
    query: str = typer.Argument(..., help="An IP address, an ASN (AS64500) or a domain"),
    as_json: bool = JsonOption,
    as_user: str | None = AsUser,
) -> None:
    """Who is responsible for an address, an ASN or a domain, and the escalation chain."""
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
