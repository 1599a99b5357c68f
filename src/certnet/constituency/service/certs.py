"""CERTs on the reporting line: the tree, its tiers as the profile allows them, and the
escalation chain."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Cert
from certnet.constituency.schemas import (
    CertCreate,
    CertUpdate,
)
from certnet.constituency.service.checks import check_sector_region, ensure_unique, icontains
from certnet.core import access, audit, clock
from certnet.core.access import CertTree, Principal
from certnet.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.profiles import service as profiles
from certnet.profiles.schemas import Profile


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
        stmt = stmt.where(or_(icontains(Cert.name, q), icontains(Cert.short_name, q)))
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
    check_sector_region(
        profile, data.sector, data.province, (tier.requires_sector, tier.requires_province)
    )
    if parent is not None:
        access.require(session, principal, "edit", parent)
    elif not (principal.all_tenancy and access.allowed(principal.role, "edit", "cert")):
        raise Forbidden("only a platform admin may add a CERT at the top of the line")
    ensure_unique(session, Cert, "name", data.name, None)
    ensure_unique(session, Cert, "short_name", data.short_name, None)
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
        ensure_unique(session, Cert, "name", changes["name"], cert.id)
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


def top_cert_id(*, session: Session) -> int | None:
    """The CERT at the top of the reporting line (the National CERT), or None before one
    exists. A fact of the network, not a read of a CERT's data: no principal needed."""
    return session.scalar(
        select(Cert.id).where(Cert.parent_id.is_(None)).order_by(Cert.id).limit(1)
    )
