"""The constituency: CERTs on the reporting line, organisations, contacts, resource claims,
and ``responsible_for`` — who answers for an address, an ASN or a domain.

Every function reads through the access policy and appends to the audit chain when it changes
state. None commits: the caller's unit of work does.
"""

from __future__ import annotations

import calendar
import ipaddress
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Cert, Contact, ContactRole, Organisation, Resource
from certnet.constituency.models import ResourceKind as Kind
from certnet.constituency.resources import domain_suffixes, parse_query, parse_resource
from certnet.constituency.schemas import (
    CertBrief,
    CertCreate,
    CertUpdate,
    ContactCreate,
    ContactUpdate,
    OrganisationBrief,
    OrganisationCreate,
    OrganisationUpdate,
    Recipients,
    ResourceCreate,
    Responsibility,
)
from certnet.core import access, audit, clock
from certnet.core.access import CertTree, Principal
from certnet.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from certnet.core.models import TlpRecipient
from certnet.core.pagination import Page, paginate
from certnet.core.tlp import Tlp
from certnet.profiles import service as profiles
from certnet.profiles.schemas import Profile

# --- the reporting line -----------------------------------------------------------------------


def cert_tree(*, session: Session) -> CertTree:
    """Every CERT's parent: the reporting line the access policy reasons over."""
    return CertTree.from_pairs(
        (row[0], row[1]) for row in session.execute(select(Cert.id, Cert.parent_id))
    )


def list_certs(
    *,
    session: Session,
    principal: Principal,
    tier: str | None = None,
    parent_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Cert]:
    """CERTs the principal may see: their own part of the line and the chain above them."""
    stmt = access.scoped(select(Cert), principal)
    if tier:
        stmt = stmt.where(Cert.tier == tier)
    if parent_id is not None:
        stmt = stmt.where(Cert.parent_id == parent_id)
    if q:
        stmt = stmt.where(or_(_icontains(Cert.name, q), _icontains(Cert.short_name, q)))
    return paginate(session, stmt, keys=[Cert.id], cursor=cursor, limit=limit)


def all_certs(*, session: Session, principal: Principal) -> list[Cert]:
    """Every visible CERT at once (they are few), for drawing the network."""
    return list(session.scalars(access.scoped(select(Cert), principal).order_by(Cert.id)))


def get_cert(*, session: Session, principal: Principal, cert_id: int) -> Cert:
    """One CERT, or NotFound if it does not exist or is out of the principal's sight."""
    cert = session.scalar(access.scoped(select(Cert).where(Cert.id == cert_id), principal))
    if cert is None:
        raise NotFound(f"cert {cert_id} not found")
    return cert


def escalation_chain(*, session: Session, principal: Principal, cert_id: int) -> list[Cert]:
    """The CERT and every CERT above it, nearest first, up to the top of the line."""
    get_cert(session=session, principal=principal, cert_id=cert_id)
    chain = cert_tree(session=session).chain(cert_id)
    found = {c.id: c for c in session.scalars(select(Cert).where(Cert.id.in_(chain)))}
    return [found[i] for i in chain]


def _check_tier(
    session: Session, profile: Profile, tier_id: str, parent: Cert | None, exclude: int | None
) -> None:
    tier = profile.tier(tier_id)
    if tier is None:
        allowed = ", ".join(t.id for t in profile.tiers)
        raise Invalid.on("tier", f"unknown tier {tier_id!r}; {profile.id} has: {allowed}")
    if not tier.parents and parent is not None:
        raise Invalid.on("parent_id", f"a {tier.name} is the top of the line and has no parent")
    if tier.parents and parent is None:
        raise Invalid.on(
            "parent_id", f"a {tier.name} needs a parent of tier {' or '.join(tier.parents)}"
        )
    if parent is not None and parent.tier not in tier.parents:
        raise Invalid.on(
            "parent_id",
            f"a {tier.name} cannot sit under a {parent.tier} CERT; "
            f"allowed parents: {', '.join(tier.parents)}",
        )
    if tier.max_count is not None:
        stmt = select(func.count()).select_from(Cert).where(Cert.tier == tier.id)
        if exclude is not None:
            stmt = stmt.where(Cert.id != exclude)
        if (session.scalar(stmt) or 0) >= tier.max_count:
            raise Conflict(
                detail=f"{profile.id} allows at most {tier.max_count} {tier.name}",
                errors=[FieldError("tier", f"at most {tier.max_count} allowed")],
            )


def _check_sector_region(
    profile: Profile, sector: str | None, province: str | None, required: tuple[bool, bool]
) -> None:
    needs_sector, needs_province = required
    if sector is not None and profile.sector(sector) is None:
        known = ", ".join(s.id for s in profile.sectors)
        raise Invalid.on("sector", f"unknown sector {sector!r}; {profile.id} has: {known}")
    if needs_sector and sector is None:
        raise Invalid.on("sector", "this tier serves one sector: name it")
    if province is not None and profile.region(province) is None:
        known = ", ".join(r.id for r in profile.regions)
        raise Invalid.on("province", f"unknown province {province!r}; {profile.id} has: {known}")
    if needs_province and province is None:
        raise Invalid.on("province", "this tier serves one province: name it")


def _unique(session: Session, model: Any, field: str, value: str, exclude: int | None) -> None:
    column = getattr(model, field)
    stmt = select(model.id).where(func.lower(column) == value.lower())
    if exclude is not None:
        stmt = stmt.where(model.id != exclude)
    if session.scalar(stmt) is not None:
        raise Conflict(
            detail=f"{field} {value!r} is already taken",
            errors=[FieldError(field, f"{value!r} is already taken")],
        )


def _icontains(column: Any, text: str) -> Any:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


def _parent(session: Session, principal: Principal, parent_id: int | None) -> Cert | None:
    if parent_id is None:
        return None
    parent = session.get(Cert, parent_id)
    if parent is None:
        raise Invalid.on("parent_id", f"no CERT with id {parent_id}")
    return parent


def create_cert(*, session: Session, principal: Principal, data: CertCreate) -> Cert:
    """Add a CERT under a parent the principal may change (a top-level CERT: admins only)."""
    profile = profiles.active()
    parent = _parent(session, principal, data.parent_id)
    _check_tier(session, profile, data.tier, parent, exclude=None)
    tier = profile.tier(data.tier)
    assert tier is not None
    _check_sector_region(
        profile, data.sector, data.province, (tier.requires_sector, tier.requires_province)
    )
    if parent is not None:
        access.require(session, principal, "edit", parent)
    elif not (principal.all_tenancy and access.allowed(principal.role, "edit", "cert")):
        raise Forbidden("only a platform admin may add a CERT at the top of the line")
    _unique(session, Cert, "name", data.name, None)
    _unique(session, Cert, "short_name", data.short_name, None)
    now = clock.now()
    regulator = data.regulator
    if regulator is None and data.sector:
        sector = profile.sector(data.sector)
        regulator = sector.regulator if sector else None
    cert = Cert(
        **data.model_dump(exclude={"regulator"}),
        regulator=regulator,
        created_at=now,
        updated_at=now,
    )
    session.add(cert)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="cert.create",
        object_type="cert",
        object_id=cert.id,
        after=audit.snapshot(cert),
        owner_cert_id=cert.id,
    )
    return cert


def update_cert(*, session: Session, principal: Principal, cert_id: int, data: CertUpdate) -> Cert:
    """Change a CERT; moving it on the line keeps the line a tree and the tiers allowed."""
    cert = get_cert(session=session, principal=principal, cert_id=cert_id)
    access.require(session, principal, "edit", cert)
    before = audit.snapshot(cert)
    changes = data.model_dump(exclude_unset=True)
    if "parent_id" in changes and changes["parent_id"] != cert.parent_id:
        parent = _parent(session, principal, changes["parent_id"])
        if parent is not None:
            if parent.id in cert_tree(session=session).descendants(cert.id):
                raise Invalid.on(
                    "parent_id",
                    f"{parent.name} is {cert.name} or below it: the reporting line would "
                    "become a cycle",
                )
            access.require(session, principal, "edit", parent)
        _check_tier(session, profiles.active(), cert.tier, parent, exclude=cert.id)
    if "name" in changes and changes["name"] is not None:
        _unique(session, Cert, "name", changes["name"], cert.id)
    for field, value in changes.items():
        if field == "name" and value is None:
            continue
        setattr(cert, field, value)
    cert.updated_at = clock.now()
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="cert.update",
        object_type="cert",
        object_id=cert.id,
        before=before,
        after=audit.snapshot(cert),
        owner_cert_id=cert.id,
    )
    return cert


# --- organisations ----------------------------------------------------------------------------


def list_organisations(
    *,
    session: Session,
    principal: Principal,
    cert_id: int | None = None,
    sector: str | None = None,
    province: str | None = None,
    cii: bool | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Organisation]:
    """Organisations the principal may see, filtered, by name then id."""
    stmt = _organisations(principal, cert_id, sector, province, cii, q)
    return paginate(
        session, stmt, keys=[Organisation.name, Organisation.id], cursor=cursor, limit=limit
    )


def count_organisations(
    *,
    session: Session,
    principal: Principal,
    cert_id: int | None = None,
    sector: str | None = None,
    province: str | None = None,
    cii: bool | None = None,
    q: str | None = None,
) -> int:
    """How many organisations a listing with these filters holds."""
    stmt = _organisations(principal, cert_id, sector, province, cii, q)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _organisations(
    principal: Principal,
    cert_id: int | None,
    sector: str | None,
    province: str | None,
    cii: bool | None,
    q: str | None,
) -> Select[Organisation]:
    stmt = access.scoped(select(Organisation), principal)
    if cert_id is not None:
        stmt = stmt.where(Organisation.cert_id == cert_id)
    if sector:
        stmt = stmt.where(Organisation.sector == sector)
    if province:
        stmt = stmt.where(Organisation.province == province)
    if cii is not None:
        stmt = stmt.where(Organisation.cii.is_(cii))
    if q:
        stmt = stmt.where(_icontains(Organisation.name, q))
    return stmt


def get_organisation(
    *, session: Session, principal: Principal, organisation_id: int
) -> Organisation:
    """One organisation, or NotFound if it is out of the principal's sight."""
    org = session.scalar(
        access.scoped(select(Organisation).where(Organisation.id == organisation_id), principal)
    )
    if org is None:
        raise NotFound(f"organisation {organisation_id} not found")
    return org


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _apply_cii(org: Organisation, profile: Profile, designation: Any) -> None:
    if designation.grade not in profile.cii.grades:
        raise Invalid.on(
            "cii.grade",
            f"unknown grade {designation.grade!r}; {profile.id} grades: "
            f"{', '.join(profile.cii.grades)}",
        )
    next_review = designation.next_review or _add_months(
        designation.designated_on, profile.cii.review_interval_months
    )
    if next_review <= designation.designated_on:
        raise Invalid.on("cii.next_review", "must be after the designation date")
    org.cii = True
    org.cii_ministry = designation.ministry
    org.cii_grade = designation.grade
    org.cii_designated_on = designation.designated_on
    org.cii_next_review = next_review


def _clear_cii(org: Organisation) -> None:
    org.cii = False
    org.cii_ministry = org.cii_grade = None
    org.cii_designated_on = org.cii_next_review = None


def _serving_cert(session: Session, principal: Principal, cert_id: int, field: str) -> Cert:
    cert = session.get(Cert, cert_id)
    if cert is None:
        raise Invalid.on(field, f"no CERT with id {cert_id}")
    access.require(session, principal, "edit", cert)
    return cert


def create_organisation(
    *, session: Session, principal: Principal, data: OrganisationCreate
) -> Organisation:
    """Add a constituent under a CERT the principal may change."""
    profile = profiles.active()
    _serving_cert(session, principal, data.cert_id, "cert_id")
    _check_sector_region(profile, data.sector, data.province, (True, False))
    _unique(session, Organisation, "name", data.name, None)
    now = clock.now()
    org = Organisation(
        name=data.name,
        cert_id=data.cert_id,
        sector=data.sector,
        province=data.province,
        cii=False,
        created_at=now,
        updated_at=now,
    )
    if data.cii is not None:
        _apply_cii(org, profile, data.cii)
    session.add(org)
    session.flush()
    access.require_create(session, principal, org)
    audit.record(
        session=session,
        principal=principal,
        action="organisation.create",
        object_type="organisation",
        object_id=org.id,
        after=audit.snapshot(org),
        owner_cert_id=org.cert_id,
    )
    return org


def update_organisation(
    *, session: Session, principal: Principal, organisation_id: int, data: OrganisationUpdate
) -> Organisation:
    """Change an organisation; moving it to another CERT moves everything it owns too."""
    profile = profiles.active()
    org = get_organisation(session=session, principal=principal, organisation_id=organisation_id)
    access.require(session, principal, "edit", org)
    before = audit.snapshot(org)
    changes = data.model_dump(exclude_unset=True, exclude={"cii", "remove_cii"})
    if changes.get("name"):
        _unique(session, Organisation, "name", changes["name"], org.id)
    if "sector" in changes or "province" in changes:
        _check_sector_region(
            profile,
            changes.get("sector", org.sector),
            changes.get("province", org.province),
            (True, False),
        )
    new_cert = changes.pop("cert_id", None)
    for field, value in changes.items():
        if value is not None or field == "province":
            setattr(org, field, value)
    if data.remove_cii:
        _clear_cii(org)
    elif data.cii is not None:
        _apply_cii(org, profile, data.cii)
    if new_cert is not None and new_cert != org.cert_id:
        _serving_cert(session, principal, new_cert, "cert_id")
        org.cert_id = new_cert
        session.flush()
        access.reassign_organisation(session, org.id, new_cert)
    org.updated_at = clock.now()
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="organisation.update",
        object_type="organisation",
        object_id=org.id,
        before=before,
        after=audit.snapshot(org),
        owner_cert_id=org.cert_id,
    )
    return org


# --- contacts ---------------------------------------------------------------------------------


def list_contacts(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    cert_id: int | None = None,
    role: ContactRole | None = None,
) -> list[Contact]:
    """Contacts of one organisation or one CERT (its own, not its constituents'), as TLP allows."""
    stmt = access.scoped(select(Contact), principal)
    if organisation_id is not None:
        stmt = stmt.where(Contact.organisation_id == organisation_id)
    if cert_id is not None:
        stmt = stmt.where(Contact.owner_cert_id == cert_id, Contact.organisation_id.is_(None))
    if role is not None:
        stmt = stmt.where(Contact.role == role)
    return list(session.scalars(stmt.order_by(Contact.role, Contact.name, Contact.id)))


def get_contact(*, session: Session, principal: Principal, contact_id: int) -> Contact:
    contact = session.scalar(
        access.scoped(select(Contact).where(Contact.id == contact_id), principal)
    )
    if contact is None:
        raise NotFound(f"contact {contact_id} not found")
    return contact


def is_expired(contact: Contact, on: date | None = None) -> bool:
    """Whether the contact's validity has run out (on ``on``, default today, UTC)."""
    today = on or clock.now().date()
    return contact.valid_until is not None and contact.valid_until < today


def _name_recipients(
    session: Session, principal: Principal, contact: Contact, recipients: Recipients | None
) -> None:
    # The author always stays a recipient of their own TLP:RED contact.
    named: set[tuple[str, int]] = set()
    if principal.user_id is not None:
        named.add(("user_id", principal.user_id))
    if recipients is not None:
        named |= {("user_id", i) for i in recipients.user_ids}
        named |= {("cert_id", i) for i in recipients.cert_ids}
        named |= {("organisation_id", i) for i in recipients.organisation_ids}
    if not named:
        raise Invalid.on("recipients", "TLP:RED needs at least one named recipient")
    for field, ident in sorted(named):
        session.add(TlpRecipient(object_type="contact", object_id=contact.id, **{field: ident}))


def create_contact(
    *,
    session: Session,
    principal: Principal,
    data: ContactCreate,
    organisation_id: int | None = None,
    cert_id: int | None = None,
) -> Contact:
    """Add a contact to an organisation or (with ``cert_id``) to a CERT itself."""
    if (organisation_id is None) == (cert_id is None):
        raise Invalid.on("owner", "a contact belongs to one organisation or one CERT")
    if data.valid_until is not None and data.valid_until < clock.now().date():
        raise Invalid.on("valid_until", f"{data.valid_until} is in the past")
    if organisation_id is not None:
        org = get_organisation(
            session=session, principal=principal, organisation_id=organisation_id
        )
        owner_cert = org.cert_id
    else:
        assert cert_id is not None
        owner_cert = get_cert(session=session, principal=principal, cert_id=cert_id).id
    now = clock.now()
    contact = Contact(
        owner_cert_id=owner_cert,
        organisation_id=organisation_id,
        **data.model_dump(exclude={"recipients"}),
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    if contact.tlp is Tlp.RED:
        _name_recipients(session, principal, contact, data.recipients)
        session.flush()
    access.require_create(session, principal, contact)
    audit.record(
        session=session,
        principal=principal,
        action="contact.create",
        object_type="contact",
        object_id=contact.id,
        after=audit.snapshot(contact),
        owner_cert_id=owner_cert,
    )
    return contact


def update_contact(
    *, session: Session, principal: Principal, contact_id: int, data: ContactUpdate
) -> Contact:
    """Change a contact. Its TLP may be raised or lowered by whoever may edit it."""
    contact = get_contact(session=session, principal=principal, contact_id=contact_id)
    access.require(session, principal, "edit", contact)
    before = audit.snapshot(contact)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("tlp") is Tlp.RED and contact.tlp is not Tlp.RED:
        _name_recipients(session, principal, contact, None)
    for field, value in changes.items():
        if value is not None or field in ("phone", "valid_until"):
            setattr(contact, field, value)
    contact.updated_at = clock.now()
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="contact.update",
        object_type="contact",
        object_id=contact.id,
        before=before,
        after=audit.snapshot(contact),
        owner_cert_id=contact.owner_cert_id,
    )
    return contact


def delete_contact(*, session: Session, principal: Principal, contact_id: int) -> None:
    """Remove a contact."""
    contact = get_contact(session=session, principal=principal, contact_id=contact_id)
    access.require(session, principal, "edit", contact)
    before = audit.snapshot(contact)
    session.delete(contact)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="contact.delete",
        object_type="contact",
        object_id=contact_id,
        before=before,
        owner_cert_id=before["owner_cert_id"],
    )


def recipients(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int,
    roles: tuple[ContactRole, ...] = (ContactRole.SECURITY, ContactRole.POINT_OF_CONTACT),
    contact_ids: list[int] | None = None,
) -> list[Contact]:
    """Whom to write to at an organisation: its valid contacts in ``roles``. Naming an expired
    contact explicitly (``contact_ids``) is an error, never a silent send."""
    contacts = list_contacts(session=session, principal=principal, organisation_id=organisation_id)
    if contact_ids is not None:
        chosen = {c.id: c for c in contacts}
        result = []
        for position, ident in enumerate(contact_ids):
            contact = chosen.get(ident)
            if contact is None:
                raise Invalid.on(f"contact_ids[{position}]", f"no contact {ident} here")
            if is_expired(contact):
                raise Invalid.on(
                    f"contact_ids[{position}]",
                    f"{contact.email} expired on {contact.valid_until}; update it first",
                )
            result.append(contact)
        return result
    return [c for c in contacts if c.role in roles and not is_expired(c)]


# --- resources --------------------------------------------------------------------------------


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


# --- who is responsible -----------------------------------------------------------------------


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
