"""REST routes of the constituency: parse, call one service function, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from certnet.constituency import importer, service
from certnet.constituency.import_format import MAX_BYTES, ImportReport
from certnet.constituency.models import ContactRole, ResourceKind
from certnet.constituency.schemas import (
    CertCreate,
    CertRead,
    CertUpdate,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    ResourceCreate,
    ResourceRead,
    Responsibility,
)
from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep

router = APIRouter(tags=["constituency"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _contact(contact: object) -> ContactRead:
    read = ContactRead.model_validate(contact)
    read.expired = service.is_expired(contact)  # type: ignore[arg-type]
    return read


@router.get("/certs", response_model=PageOut[CertRead])
def list_certs(
    session: SessionDep,
    principal: PrincipalDep,
    tier: str | None = None,
    parent_id: int | None = None,
    q: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[CertRead]:
    """CERTs you may see: your part of the reporting line and the chain above you."""
    page = service.list_certs(
        session=session,
        principal=principal,
        tier=tier,
        parent_id=parent_id,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[CertRead.model_validate(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.post("/certs", response_model=CertRead, status_code=status.HTTP_201_CREATED)
def create_cert(session: SessionDep, principal: PrincipalDep, body: CertCreate) -> CertRead:
    """Add a CERT under a parent the profile allows for its tier."""
    return CertRead.model_validate(
        service.create_cert(session=session, principal=principal, data=body)
    )


@router.get("/certs/{cert_id}", response_model=CertRead)
def get_cert(session: SessionDep, principal: PrincipalDep, cert_id: int) -> CertRead:
    return CertRead.model_validate(
        service.get_cert(session=session, principal=principal, cert_id=cert_id)
    )


@router.patch("/certs/{cert_id}", response_model=CertRead)
def update_cert(
    session: SessionDep, principal: PrincipalDep, cert_id: int, body: CertUpdate
) -> CertRead:
    return CertRead.model_validate(
        service.update_cert(session=session, principal=principal, cert_id=cert_id, data=body)
    )


@router.get("/certs/{cert_id}/chain", response_model=list[CertRead])
def escalation_chain(session: SessionDep, principal: PrincipalDep, cert_id: int) -> list[CertRead]:
    """The CERT and every CERT above it, nearest first."""
    chain = service.escalation_chain(session=session, principal=principal, cert_id=cert_id)
    return [CertRead.model_validate(c) for c in chain]


@router.get("/certs/{cert_id}/contacts", response_model=list[ContactRead])
def list_cert_contacts(
    session: SessionDep, principal: PrincipalDep, cert_id: int, role: ContactRole | None = None
) -> list[ContactRead]:
    service.get_cert(session=session, principal=principal, cert_id=cert_id)
    contacts = service.list_contacts(
        session=session, principal=principal, cert_id=cert_id, role=role
    )
    return [_contact(c) for c in contacts]


@router.post("/certs/{cert_id}/contacts", response_model=ContactRead, status_code=201)
def create_cert_contact(
    session: SessionDep, principal: PrincipalDep, cert_id: int, body: ContactCreate
) -> ContactRead:
    return _contact(
        service.create_contact(session=session, principal=principal, data=body, cert_id=cert_id)
    )


@router.get("/organisations", response_model=PageOut[OrganisationRead])
def list_organisations(
    session: SessionDep,
    principal: PrincipalDep,
    cert_id: int | None = None,
    sector: str | None = None,
    province: str | None = None,
    cii: bool | None = None,
    q: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[OrganisationRead]:
    """Organisations you may see, by name."""
    page = service.list_organisations(
        session=session,
        principal=principal,
        cert_id=cert_id,
        sector=sector,
        province=province,
        cii=cii,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[OrganisationRead.model_validate(o) for o in page.items], next_cursor=page.next_cursor
    )


@router.post("/organisations", response_model=OrganisationRead, status_code=201)
def create_organisation(
    session: SessionDep, principal: PrincipalDep, body: OrganisationCreate
) -> OrganisationRead:
    return OrganisationRead.model_validate(
        service.create_organisation(session=session, principal=principal, data=body)
    )


@router.get("/organisations/{organisation_id}", response_model=OrganisationRead)
def get_organisation(
    session: SessionDep, principal: PrincipalDep, organisation_id: int
) -> OrganisationRead:
    return OrganisationRead.model_validate(
        service.get_organisation(
            session=session, principal=principal, organisation_id=organisation_id
        )
    )


@router.patch("/organisations/{organisation_id}", response_model=OrganisationRead)
def update_organisation(
    session: SessionDep, principal: PrincipalDep, organisation_id: int, body: OrganisationUpdate
) -> OrganisationRead:
    return OrganisationRead.model_validate(
        service.update_organisation(
            session=session, principal=principal, organisation_id=organisation_id, data=body
        )
    )


@router.get("/organisations/{organisation_id}/contacts", response_model=list[ContactRead])
def list_organisation_contacts(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: int,
    role: ContactRole | None = None,
) -> list[ContactRead]:
    service.get_organisation(session=session, principal=principal, organisation_id=organisation_id)
    contacts = service.list_contacts(
        session=session, principal=principal, organisation_id=organisation_id, role=role
    )
    return [_contact(c) for c in contacts]


@router.post(
    "/organisations/{organisation_id}/contacts", response_model=ContactRead, status_code=201
)
def create_organisation_contact(
    session: SessionDep, principal: PrincipalDep, organisation_id: int, body: ContactCreate
) -> ContactRead:
    return _contact(
        service.create_contact(
            session=session, principal=principal, data=body, organisation_id=organisation_id
        )
    )


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
def update_contact(
    session: SessionDep, principal: PrincipalDep, contact_id: int, body: ContactUpdate
) -> ContactRead:
    return _contact(
        service.update_contact(
            session=session, principal=principal, contact_id=contact_id, data=body
        )
    )


@router.delete("/contacts/{contact_id}", status_code=204)
def delete_contact(session: SessionDep, principal: PrincipalDep, contact_id: int) -> Response:
    service.delete_contact(session=session, principal=principal, contact_id=contact_id)
    return Response(status_code=204)


@router.get("/organisations/{organisation_id}/resources", response_model=PageOut[ResourceRead])
def list_resources(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: int,
    kind: ResourceKind | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> PageOut[ResourceRead]:
    service.get_organisation(session=session, principal=principal, organisation_id=organisation_id)
    page = service.list_resources(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        kind=kind,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[ResourceRead.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/organisations/{organisation_id}/resources", response_model=ResourceRead, status_code=201
)
def add_resource(
    session: SessionDep, principal: PrincipalDep, organisation_id: int, body: ResourceCreate
) -> ResourceRead:
    """Claim an IP prefix, an ASN or a domain."""
    return ResourceRead.model_validate(
        service.add_resource(
            session=session, principal=principal, organisation_id=organisation_id, data=body
        )
    )


@router.delete("/resources/{resource_id}", status_code=204)
def remove_resource(session: SessionDep, principal: PrincipalDep, resource_id: int) -> Response:
    service.remove_resource(session=session, principal=principal, resource_id=resource_id)
    return Response(status_code=204)


@router.get("/lookup", response_model=Responsibility)
def lookup(
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=255, examples=["203.0.113.7"])],
) -> Responsibility:
    """Who is responsible for an IP address, an ASN or a domain: the most specific claim."""
    return service.responsible_for(session=session, principal=principal, query=q)


@router.post("/constituency/import", response_model=ImportReport)
def import_constituency(
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="CSV or JSON; see docs/constituency-import.md")],
    dry_run: Annotated[bool, Query(description="Check and report; write nothing")] = False,
) -> ImportReport:
    """Import organisations, claims and contacts, all or nothing: 422 lists every bad row."""
    # One byte past the limit is enough for the importer to refuse the file.
    content = file.file.read(MAX_BYTES + 1)
    return importer.import_constituency(
        session=session,
        principal=principal,
        content=content,
        filename=file.filename,
        dry_run=dry_run,
    )
