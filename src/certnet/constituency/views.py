"""Console pages of the constituency: CERTs, organisations with their claims and contacts,
and the "who is responsible?" lookup. Every read and change goes through the service, which
applies the access policy; these views only parse, call and render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from certnet.constituency import service
from certnet.constituency.models import ContactRole, ResourceKind
from certnet.constituency.schemas import ContactCreate, ResourceCreate, Responsibility
from certnet.core.errors import DomainError, Invalid, NotFound
from certnet.core.tlp import Tlp
from certnet.profiles import service as profiles
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    field_errors,
    status_of,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 25
RESOURCE_PAGE_SIZE = 50

#: Messages after a successful change (post, redirect, get): only these fixed texts are shown.
DONE = {
    "contact": "Contact added.",
    "resource": "Resource claimed.",
}


def url(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` as its query string."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


def _cii(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _filters() -> dict[str, Any]:
    profile = profiles.active()
    return {"sectors": profile.sectors, "regions": profile.regions}


@router.get("/certs/{cert_id}", response_class=HTMLResponse)
def cert_page(
    console: ConsoleDep,
    cert_id: int,
    q: str = "",
    sector: str = "",
    cii: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """A CERT: details, contacts, escalation chain, child CERTs and the organisations it serves."""
    session, principal = console.session, console.principal
    cert = service.get_cert(session=session, principal=principal, cert_id=cert_id)
    chain = service.escalation_chain(session=session, principal=principal, cert_id=cert_id)
    children = service.list_certs(
        session=session, principal=principal, parent_id=cert_id, limit=1000
    ).items
    contacts = service.list_contacts(session=session, principal=principal, cert_id=cert_id)
    orgs = service.list_organisations(
        session=session,
        principal=principal,
        cert_id=cert_id,
        q=q or None,
        sector=sector or None,
        cii=_cii(cii),
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    here = f"/certs/{cert_id}"
    return console.render(
        "constituency/cert.html",
        cert=cert,
        chain=chain,
        children=children,
        contacts=[(c, service.is_expired(c)) for c in contacts],
        orgs=orgs.items,
        filters={"q": q, "sector": sector, "cii": cii},
        next_url=url(here, q=q, sector=sector, cii=cii, cursor=orgs.next_cursor)
        if orgs.next_cursor
        else None,
        first_url=url(here, q=q, sector=sector, cii=cii) if cursor else None,
        **_filters(),
    )


@router.get("/organisations", response_class=HTMLResponse)
def organisations_page(
    console: ConsoleDep,
    q: str = "",
    sector: str = "",
    province: str = "",
    cii: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Organisations the viewer may see, filtered and paged by name."""
    session, principal = console.session, console.principal
    filters = {"q": q, "sector": sector, "province": province, "cii": cii}
    orgs = service.list_organisations(
        session=session,
        principal=principal,
        q=q or None,
        sector=sector or None,
        province=province or None,
        cii=_cii(cii),
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    total = service.count_organisations(
        session=session,
        principal=principal,
        q=q or None,
        sector=sector or None,
        province=province or None,
        cii=_cii(cii),
    )
    return console.render(
        "constituency/organisations.html",
        orgs=orgs.items,
        total=total,
        filters=filters,
        next_url=url("/organisations", **filters, cursor=orgs.next_cursor)
        if orgs.next_cursor
        else None,
        first_url=url("/organisations", **filters) if cursor else None,
        **_filters(),
    )


def _organisation_page(
    console: Console,
    organisation_id: int,
    *,
    status_code: int = 200,
    rcursor: str = "",
    done: str = "",
    **forms: Any,
) -> HTMLResponse:
    session, principal = console.session, console.principal
    org = service.get_organisation(
        session=session, principal=principal, organisation_id=organisation_id
    )
    try:
        cert = service.get_cert(session=session, principal=principal, cert_id=org.cert_id)
        chain = service.escalation_chain(session=session, principal=principal, cert_id=cert.id)
    except NotFound:
        cert, chain = None, []
    resources = service.list_resources(
        session=session,
        principal=principal,
        organisation_id=org.id,
        cursor=rcursor or None,
        limit=RESOURCE_PAGE_SIZE,
    )
    contacts = service.list_contacts(session=session, principal=principal, organisation_id=org.id)
    here = f"/organisations/{org.id}"
    return console.render(
        "constituency/organisation.html",
        status_code,
        org=org,
        cert=cert,
        chain=chain,
        resources=resources.items,
        resources_next=url(here, rcursor=resources.next_cursor) if resources.next_cursor else None,
        contacts=[(c, service.is_expired(c)) for c in contacts],
        done=DONE.get(done),
        contact_roles=list(ContactRole),
        resource_kinds=list(ResourceKind),
        tlps=list(Tlp),
        contact_form=forms.get("contact_form", {"tlp": Tlp.AMBER.value}),
        contact_errors=forms.get("contact_errors", {}),
        resource_form=forms.get("resource_form", {}),
        resource_errors=forms.get("resource_errors", {}),
    )


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse)
def organisation_page(
    console: ConsoleDep, organisation_id: int, rcursor: str = "", done: str = ""
) -> HTMLResponse:
    """An organisation: CII designation, claims, contacts, and forms to add to them."""
    return _organisation_page(console, organisation_id, rcursor=rcursor, done=done)


def _blank_to_none(form: dict[str, str], *names: str) -> dict[str, Any]:
    return {name: (form.get(name, "").strip() or None) for name in names}


@router.post("/organisations/{organisation_id}/contacts", response_model=None)
def add_contact(console: FormConsoleDep, organisation_id: int) -> Response:
    """Add a contact; the form comes back with its errors if the service refuses."""
    form = console.form
    try:
        data = ContactCreate.model_validate(
            {
                "name": form.get("name", ""),
                "role": form.get("role", ""),
                "email": form.get("email", ""),
                "tlp": form.get("tlp") or Tlp.AMBER,
                **_blank_to_none(form, "phone", "valid_until"),
            }
        )
        with console.attempt():
            service.create_contact(
                session=console.session,
                principal=console.principal,
                data=data,
                organisation_id=organisation_id,
            )
    except NotFound:
        raise
    except (DomainError, ValidationError) as exc:
        return _organisation_page(
            console,
            organisation_id,
            status_code=status_of(exc),
            contact_form=form,
            contact_errors=field_errors(exc),
        )
    return RedirectResponse(
        f"/organisations/{organisation_id}?done=contact#contacts", status_code=303
    )


@router.post("/organisations/{organisation_id}/resources", response_model=None)
def add_resource(console: FormConsoleDep, organisation_id: int) -> Response:
    """Claim a prefix, an ASN or a domain for the organisation."""
    form = console.form
    try:
        data = ResourceCreate.model_validate(
            {"value": form.get("value", ""), "kind": form.get("kind") or None}
        )
        with console.attempt():
            service.add_resource(
                session=console.session,
                principal=console.principal,
                organisation_id=organisation_id,
                data=data,
            )
    except NotFound:
        raise
    except (DomainError, ValidationError) as exc:
        return _organisation_page(
            console,
            organisation_id,
            status_code=status_of(exc),
            resource_form=form,
            resource_errors=field_errors(exc),
        )
    return RedirectResponse(
        f"/organisations/{organisation_id}?done=resource#resources", status_code=303
    )


@router.get("/lookup", response_class=HTMLResponse)
def lookup_page(console: ConsoleDep, q: str = "") -> HTMLResponse:
    """Who is responsible for an address, an ASN or a domain."""
    answer: Responsibility | None = None
    errors: dict[str, str] = {}
    missing = False
    status_code = 200
    if q.strip():
        try:
            answer = service.responsible_for(
                session=console.session, principal=console.principal, query=q
            )
        except NotFound:
            missing = True
        except Invalid as exc:
            errors, status_code = field_errors(exc), exc.status
    return console.render(
        "constituency/lookup.html",
        status_code,
        q=q,
        answer=answer,
        missing=missing,
        errors=errors,
    )
