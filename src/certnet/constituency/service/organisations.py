"""Organisations: the constituents each CERT serves, with their CII designation."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Cert, Organisation
from certnet.constituency.schemas import (
    OrganisationCreate,
    OrganisationUpdate,
)
from certnet.constituency.service.checks import check_sector_region, ensure_unique, icontains
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.profiles import service as profiles
from certnet.profiles.schemas import Profile


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
        stmt = stmt.where(icontains(Organisation.name, q))
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
    check_sector_region(profile, data.sector, data.province, (True, False))
    ensure_unique(session, Organisation, "name", data.name, None)
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
        ensure_unique(session, Organisation, "name", changes["name"], org.id)
    if "sector" in changes or "province" in changes:
        check_sector_region(
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


@dataclass(frozen=True)
class RoutingFacts:
    """What a pipeline needs to route a record to an organisation: its CERT, sector and
    whether it is critical information infrastructure."""

    cert_id: int
    sector: str
    cii: bool


def routing_facts(*, session: Session, organisation_ids: Iterable[int]) -> dict[int, RoutingFacts]:
    """Routing facts of many organisations in one query, for pipelines that act as the
    installation (like the bulk prefix index): no names or contacts, and no policy — what a
    user then sees of the routed records goes through the policy as always."""
    wanted = sorted(set(organisation_ids))
    if not wanted:
        return {}
    found: dict[int, RoutingFacts] = {}
    # Chunked so that the IN list stays below every engine's parameter limit.
    for offset in range(0, len(wanted), 1000):
        rows = session.execute(
            select(
                Organisation.id, Organisation.cert_id, Organisation.sector, Organisation.cii
            ).where(Organisation.id.in_(wanted[offset : offset + 1000]))
        )
        for org_id, cert_id, sector, cii in rows:
            found[org_id] = RoutingFacts(cert_id, sector, cii)
    return found
