"""Write a demo plan into the database, once; on later runs, verify it and change nothing.

CERTs, their contacts and the users go through the constituency and identity services (every
rule checked, one audit entry each). The thousands of organisations, their contacts and their
claims take a bulk path, which is much faster and writes the same rows the services would:
each input is validated with the services' own schemas and the profile, claims are put in
canonical form by :func:`certnet.constituency.resources.parse_resource`, ``owner_cert_id`` is
the owning CERT. The audit chain gets one ``organisation.create`` entry per organisation (as
the service writes) and, per owning CERT, one ``resource.bulk_add`` and one
``contact.bulk_add`` entry that counts what was added.

One difference is deliberate: the demo includes contacts whose validity has already run out
(the console shows them as expired), which the contact service refuses for new contacts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import Cert, Contact, Organisation, Resource
from certnet.constituency.resources import parse_resource
from certnet.constituency.schemas import (
    CertCreate,
    CiiDesignation,
    ContactCreate,
    OrganisationCreate,
)
from certnet.core import audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Conflict, FieldError, Invalid
from certnet.core.models import TlpRecipient
from certnet.core.tlp import Tlp
from certnet.demo.generator import MARKER, ContactPlan, DemoPlan, OrganisationPlan
from certnet.identity import service as identity
from certnet.identity.models import User
from certnet.identity.schemas import UserCreate
from certnet.profiles import service as profiles
from certnet.profiles.schemas import Profile


@dataclass(frozen=True)
class LoadReport:
    """What a run of the demo loader did: ``created`` is False when the demo was there."""

    created: bool
    certs: int
    organisations: int
    prefixes: int
    asns: int
    domains: int
    contacts: int
    users: int


def _report(plan: DemoPlan, *, created: bool) -> LoadReport:
    return LoadReport(
        created=created,
        certs=len(plan.certs),
        organisations=len(plan.organisations),
        prefixes=plan.counts["prefix"],
        asns=plan.counts["asn"],
        domains=plan.counts["domain"],
        contacts=plan.counts["contact"] + len(plan.cert_contacts),
        users=len(plan.users),
    )


def load(*, session: Session, principal: Principal, plan: DemoPlan, password: str) -> LoadReport:
    """Load ``plan`` into an empty network, or verify that it is already there.

    A database that holds the demo (its National CERT, the marker) is checked against the plan
    and left untouched; a mismatch (another seed or size, or later edits) is a Conflict naming
    what differs. A database holding some other network is refused.
    """
    if session.scalar(select(Cert.id).where(Cert.short_name == MARKER)) is not None:
        problems = differences(session=session, plan=plan)
        if problems:
            raise Conflict(
                detail=f"the demo in this database is not the one seed {plan.seed} with "
                f"{len(plan.organisations)} organisations makes; nothing was changed (run "
                "with the seed and size it was loaded with, or use an empty database)",
                errors=problems,
            )
        return _report(plan, created=False)
    if session.scalar(select(func.count()).select_from(Cert)):
        raise Conflict(
            detail="this database already holds a CERT network that is not the demo; "
            "load the demo into an empty database"
        )
    profile = profiles.active()
    cert_ids = _load_certs(session, principal, plan)
    org_ids = _load_organisations(session, principal, profile, plan, cert_ids)
    _load_claims(session, principal, plan, cert_ids, org_ids)
    _load_contacts(session, principal, plan, cert_ids, org_ids)
    _load_users(session, principal, plan, cert_ids, org_ids, password)
    return _report(plan, created=True)


def differences(*, session: Session, plan: DemoPlan) -> list[FieldError]:
    """What the plan has that the database lacks (CERTs, organisations, claims, users)."""
    problems: list[FieldError] = []

    def missing(field: str, wanted: list[str], present: set[str]) -> None:
        absent = [w for w in wanted if w not in present]
        if absent:
            shown = ", ".join(absent[:5]) + (
                f" and {len(absent) - 5} more" if len(absent) > 5 else ""
            )
            problems.append(FieldError(field, f"missing {shown}"))

    missing(
        "certs", [c.short_name for c in plan.certs], set(session.scalars(select(Cert.short_name)))
    )
    missing(
        "organisations",
        [o.name for o in plan.organisations],
        set(session.scalars(select(Organisation.name))),
    )
    missing(
        "resources",
        [value for o in plan.organisations for value in _canonical(o)],
        set(session.scalars(select(Resource.value))),
    )
    missing("users", [u.username for u in plan.users], set(session.scalars(select(User.username))))
    return problems


def _canonical(org: OrganisationPlan) -> list[str]:
    return [parse_resource(value).value for value in org.resources]


def _load_certs(session: Session, principal: Principal, plan: DemoPlan) -> dict[str, int]:
    ids: dict[str, int] = {}
    for cert in plan.certs:
        made = constituency.create_cert(
            session=session,
            principal=principal,
            data=CertCreate(
                name=cert.name,
                short_name=cert.short_name,
                tier=cert.tier,
                parent_id=ids[cert.parent] if cert.parent else None,
                sector=cert.sector,
                province=cert.province,
            ),
        )
        ids[cert.short_name] = made.id
    for short_name, contact in plan.cert_contacts:
        constituency.create_contact(
            session=session,
            principal=principal,
            cert_id=ids[short_name],
            data=_contact_input(contact),
        )
    return ids


def _contact_input(contact: ContactPlan) -> ContactCreate:
    return ContactCreate(
        name=contact.name,
        role=contact.role,
        email=contact.email,
        phone=contact.phone,
        valid_until=contact.valid_until,
        tlp=contact.tlp,
    )


def _check(profile: Profile, org: OrganisationPlan) -> OrganisationCreate:
    # The service's schema and the profile's rules, as create_organisation applies them.
    data = OrganisationCreate(
        name=org.name,
        cert_id=1,  # replaced by the real id; the schema only checks it is an integer
        sector=org.sector,
        province=org.province,
        cii=CiiDesignation(
            ministry=org.cii.ministry,
            grade=org.cii.grade,
            designated_on=org.cii.designated_on,
            next_review=org.cii.next_review,
        )
        if org.cii
        else None,
    )
    if profile.sector(data.sector) is None:
        raise Invalid.on("sector", f"unknown sector {data.sector!r} in {org.name}")
    if data.province is not None and profile.region(data.province) is None:
        raise Invalid.on("province", f"unknown province {data.province!r} in {org.name}")
    if data.cii is not None and data.cii.grade not in profile.cii.grades:
        raise Invalid.on("cii.grade", f"unknown grade {data.cii.grade!r} in {org.name}")
    return data


def _load_organisations(
    session: Session,
    principal: Principal,
    profile: Profile,
    plan: DemoPlan,
    cert_ids: dict[str, int],
) -> dict[str, int]:
    now = clock.now()
    rows = []
    for org in plan.organisations:
        data = _check(profile, org)
        rows.append(
            Organisation(
                name=data.name,
                cert_id=cert_ids[org.cert],
                sector=data.sector,
                province=data.province,
                cii=data.cii is not None,
                cii_ministry=data.cii.ministry if data.cii else None,
                cii_grade=data.cii.grade if data.cii else None,
                cii_designated_on=data.cii.designated_on if data.cii else None,
                cii_next_review=data.cii.next_review if data.cii else None,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    for row in rows:
        audit.record(
            session=session,
            principal=principal,
            action="organisation.create",
            object_type="organisation",
            object_id=row.id,
            after=audit.snapshot(row),
            owner_cert_id=row.cert_id,
        )
    return {row.name: row.id for row in rows}


def _load_claims(
    session: Session,
    principal: Principal,
    plan: DemoPlan,
    cert_ids: dict[str, int],
    org_ids: dict[str, int],
) -> None:
    now = clock.now()
    rows: list[dict[str, Any]] = []
    per_cert: dict[int, Counter[str]] = defaultdict(Counter)
    for org in plan.organisations:
        owner = cert_ids[org.cert]
        per_cert[owner]["organisations"] += 1
        for value in org.resources:
            try:
                parsed = parse_resource(value)
            except ValueError as exc:
                raise Invalid.on("value", f"{org.name}: {exc}") from exc
            per_cert[owner][parsed.kind.value] += 1
            rows.append(
                {
                    "owner_cert_id": owner,
                    "organisation_id": org_ids[org.name],
                    "kind": parsed.kind,
                    "value": parsed.value,
                    "ip_version": parsed.ip_version,
                    "prefix_length": parsed.prefix_length,
                    "first_address": parsed.first_address,
                    "last_address": parsed.last_address,
                    "created_at": now,
                }
            )
    session.execute(insert(Resource), rows)
    _record_bulk(session, principal, plan, "resource", per_cert)


def _record_bulk(
    session: Session,
    principal: Principal,
    plan: DemoPlan,
    object_type: str,
    per_cert: dict[int, Counter[str]],
) -> None:
    """One audit entry per owning CERT for rows the demo wrote in bulk, with their counts."""
    for owner, counted in sorted(per_cert.items()):
        audit.record(
            session=session,
            principal=principal,
            action=f"{object_type}.bulk_add",
            object_type=object_type,
            object_id=f"cert:{owner}",
            after={"source": f"certnet demo --seed {plan.seed}", **counted},
            owner_cert_id=owner,
        )


def _load_contacts(
    session: Session,
    principal: Principal,
    plan: DemoPlan,
    cert_ids: dict[str, int],
    org_ids: dict[str, int],
) -> None:
    now = clock.now()
    rows: list[Contact] = []
    per_cert: dict[int, Counter[str]] = defaultdict(Counter)
    for org in plan.organisations:
        owner = cert_ids[org.cert]
        for contact in org.contacts:
            data = _contact_input(contact)
            per_cert[owner][data.tlp.value] += 1
            rows.append(
                Contact(
                    owner_cert_id=owner,
                    organisation_id=org_ids[org.name],
                    **data.model_dump(exclude={"recipients"}),
                    created_at=now,
                    updated_at=now,
                )
            )
    session.add_all(rows)
    session.flush()
    # A TLP:RED contact is named to its own organisation and the CERT that serves it.
    session.add_all(
        TlpRecipient(object_type="contact", object_id=row.id, **{field: ident})
        for row in rows
        if row.tlp is Tlp.RED
        for field, ident in (
            ("cert_id", row.owner_cert_id),
            ("organisation_id", row.organisation_id),
        )
    )
    session.flush()
    _record_bulk(session, principal, plan, "contact", per_cert)


def _load_users(
    session: Session,
    principal: Principal,
    plan: DemoPlan,
    cert_ids: dict[str, int],
    org_ids: dict[str, int],
    password: str,
) -> None:
    for user in plan.users:
        identity.create_user(
            session=session,
            principal=principal,
            data=UserCreate(
                username=user.username,
                display_name=user.display_name,
                email=user.email,
                role=user.role,
                cert_id=cert_ids[user.cert] if user.cert else None,
                organisation_id=org_ids[user.organisation] if user.organisation else None,
                password=password,
            ),
        )
