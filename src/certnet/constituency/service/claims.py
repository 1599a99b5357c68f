"""Claims on prefixes, ASNs and domains, and ``responsible_for``: the most specific claim,
its organisation and the escalation chain."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Organisation, Resource
from certnet.constituency.models import ResourceKind as Kind
from certnet.constituency.resources import domain_suffixes, parse_query, parse_resource
from certnet.constituency.schemas import (
    CertBrief,
    OrganisationBrief,
    ResourceCreate,
    Responsibility,
)
from certnet.constituency.service.certs import escalation_chain
from certnet.constituency.service.organisations import get_organisation
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Conflict, FieldError, Invalid, NotFound
from certnet.core.pagination import Page, paginate


def list_resources(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    kind: Kind | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[Resource]:
    """Claims the principal may see."""
    stmt = access.scoped(select(Resource), principal)
    if organisation_id is not None:
        stmt = stmt.where(Resource.organisation_id == organisation_id)
    if kind is not None:
        stmt = stmt.where(Resource.kind == kind)
    return paginate(session, stmt, keys=[Resource.id], cursor=cursor, limit=limit)


def count_resources(*, session: Session, principal: Principal, kind: Kind | None = None) -> int:
    """How many claims the principal may see (of one kind)."""
    stmt = access.scoped(select(Resource.id), principal)
    if kind is not None:
        stmt = stmt.where(Resource.kind == kind)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def add_resource(
    *, session: Session, principal: Principal, organisation_id: int, data: ResourceCreate
) -> Resource:
    """Claim a prefix, an ASN or a domain for an organisation. More-specific prefixes inside
    another organisation's are fine (a customer inside its ISP's block); the same exact
    claim twice is a conflict."""
    org = get_organisation(session=session, principal=principal, organisation_id=organisation_id)
    try:
        parsed = parse_resource(data.value, data.kind)
    except ValueError as exc:
        raise Invalid.on("value", str(exc)) from exc
    holder = session.scalar(
        select(Resource.organisation_id).where(
            Resource.kind == parsed.kind, Resource.value == parsed.value
        )
    )
    if holder is not None:
        whom = "this organisation" if holder == org.id else "another organisation"
        raise Conflict(
            detail=f"{parsed.value} is already claimed by {whom}",
            errors=[FieldError("value", f"{parsed.value} is already claimed by {whom}")],
        )
    resource = Resource(
        owner_cert_id=org.cert_id,
        organisation_id=org.id,
        kind=parsed.kind,
        value=parsed.value,
        ip_version=parsed.ip_version,
        prefix_length=parsed.prefix_length,
        first_address=parsed.first_address,
        last_address=parsed.last_address,
        created_at=clock.now(),
    )
    session.add(resource)
    session.flush()
    access.require_create(session, principal, resource)
    audit.record(
        session=session,
        principal=principal,
        action="resource.add",
        object_type="resource",
        object_id=resource.id,
        after=audit.snapshot(resource),
        owner_cert_id=org.cert_id,
    )
    return resource


def add_resources(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int,
    claims: list[ResourceCreate],
) -> list[Resource]:
    """Claim many prefixes, ASNs or domains for one organisation at once (a bulk import):
    the same rules as :func:`add_resource`, checked for all before anything is written, one
    query per 500 claims instead of several per claim, and one audit entry listing them."""
    org = get_organisation(session=session, principal=principal, organisation_id=organisation_id)
    parsed = []
    for position, claim in enumerate(claims):
        try:
            parsed.append(parse_resource(claim.value, claim.kind))
        except ValueError as exc:
            raise Invalid.on(f"claims[{position}].value", str(exc)) from exc
    wanted = {(p.kind, p.value) for p in parsed}
    if len(wanted) != len(parsed):
        raise Invalid.on("claims", "the same claim is listed twice")
    values = sorted({p.value for p in parsed})
    for offset in range(0, len(values), 500):
        for kind, value, holder in session.execute(
            select(Resource.kind, Resource.value, Resource.organisation_id).where(
                Resource.value.in_(values[offset : offset + 500])
            )
        ):
            if (kind, value) in wanted:
                whom = "this organisation" if holder == org.id else "another organisation"
                raise Conflict(
                    detail=f"{value} is already claimed by {whom}",
                    errors=[FieldError("claims", f"{value} is already claimed by {whom}")],
                )
    now = clock.now()
    made = [
        Resource(
            owner_cert_id=org.cert_id,
            organisation_id=org.id,
            kind=p.kind,
            value=p.value,
            ip_version=p.ip_version,
            prefix_length=p.prefix_length,
            first_address=p.first_address,
            last_address=p.last_address,
            created_at=now,
        )
        for p in parsed
    ]
    if not made:
        return made
    session.add_all(made)
    session.flush()
    # Every claim shares the organisation's ownership, so one placement check covers all.
    access.require_create(session, principal, made[0])
    audit.record(
        session=session,
        principal=principal,
        action="resource.add_many",
        object_type="organisation",
        object_id=org.id,
        after={"claims": [{"kind": r.kind.value, "value": r.value} for r in made]},
        owner_cert_id=org.cert_id,
    )
    return made


def remove_resource(*, session: Session, principal: Principal, resource_id: int) -> None:
    """Withdraw a claim."""
    resource = session.scalar(
        access.scoped(select(Resource).where(Resource.id == resource_id), principal)
    )
    if resource is None:
        raise NotFound(f"resource {resource_id} not found")
    access.require(session, principal, "edit", resource)
    before = audit.snapshot(resource)
    session.delete(resource)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="resource.remove",
        object_type="resource",
        object_id=resource_id,
        before=before,
        owner_cert_id=before["owner_cert_id"],
    )


def _covering_prefixes(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[str]:
    bits = address.max_prefixlen
    return [
        str(ipaddress.ip_network((address, length), strict=False)) for length in range(bits + 1)
    ]


def responsible_for(*, session: Session, principal: Principal, query: str) -> Responsibility:
    """Who answers for an address, an ASN or a domain: the most specific claim, its
    organisation, that organisation's CERT and the escalation chain to the top.

    The most specific claim decides even when the principal may not see it: then the answer
    is NotFound, never the less specific (wrong) owner.
    """
    try:
        parsed = parse_query(query)
    except ValueError as exc:
        raise Invalid.on("q", str(exc)) from exc
    if parsed.kind is Kind.PREFIX:
        assert parsed.address is not None
        candidates = _covering_prefixes(parsed.address)
        order: Any = Resource.prefix_length.desc()
    elif parsed.kind is Kind.ASN:
        candidates, order = [parsed.value], Resource.id
    else:
        candidates, order = domain_suffixes(parsed.value), func.length(Resource.value).desc()
    claim = session.scalar(
        select(Resource)
        .where(Resource.kind == parsed.kind, Resource.value.in_(candidates))
        .order_by(order)
        .limit(1)
    )
    if claim is None:
        raise NotFound(f"no organisation claims {parsed.value}")
    org = session.scalar(
        access.scoped(
            select(Organisation).where(Organisation.id == claim.organisation_id), principal
        )
    )
    if org is None:
        raise NotFound(f"no organisation you can see is responsible for {parsed.value}")
    chain = escalation_chain(session=session, principal=principal, cert_id=org.cert_id)
    return Responsibility(
        query=query.strip(),
        kind=parsed.kind,
        matched=claim.value,
        organisation=OrganisationBrief.model_validate(org),
        cert=CertBrief.model_validate(chain[0]),
        escalation_chain=[CertBrief.model_validate(c) for c in chain],
    )
