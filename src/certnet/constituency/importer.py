"""Bulk import of the constituency from CSV or JSON: all or nothing.

Three steps, so that a file with one bad row writes nothing and names every bad row:

1. **parse** — each CSV row or JSON object becomes an :class:`OrganisationEntry` (pydantic);
   rows for the same organisation (by name, case-insensitive) merge.
2. **check** — every entry is checked against the profile and the database (CERTs, sectors,
   provinces, CII grades, claims held by other organisations, access) without writing.
   Every problem becomes a :class:`FieldError` at a CSV line (``line 12: resources``) or a
   JSON path (``organisations[3].resources[1]``); any problem raises :class:`Invalid`.
3. **apply** — inside a savepoint, through the constituency service functions (so the access
   policy and the audit chain apply as for any other change). A dry run rolls the savepoint
   back: it runs the same code as the real import, and reports what that would do.

Re-importing a file changes nothing: existing identical fields, claims and contacts are
counted as unchanged. An import adds and updates; it never removes (use the API for that).
The format is described in ``docs/constituency-import.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency import service
from certnet.constituency.import_format import (
    MAX_BYTES,
    ContactEntry,
    ImportReport,
    OrganisationEntry,
    OrganisationOutcome,
    Where,
    detect_format,
    located_errors,
    parse_csv,
    parse_json,
)
from certnet.constituency.models import Cert, Contact, Organisation, Resource
from certnet.constituency.resources import ParsedResource, parse_resource
from certnet.constituency.schemas import (
    CiiDesignation,
    ContactUpdate,
    OrganisationCreate,
    OrganisationUpdate,
    ResourceCreate,
)
from certnet.core import access, clock
from certnet.core.access import Principal
from certnet.core.errors import DomainError, FieldError, Forbidden, Invalid
from certnet.profiles import service as profiles

# --- merge and check --------------------------------------------------------------------------


@dataclass
class Planned:
    """One organisation of the file, merged from all its rows, checked, ready to apply."""

    key: str
    name: str
    where: Where
    fields: dict[str, tuple[Any, Where]] = field(default_factory=dict)
    claims: dict[tuple[str, str], tuple[ParsedResource, Where]] = field(default_factory=dict)
    contacts: dict[tuple[str, str], tuple[ContactEntry, Where]] = field(default_factory=dict)
    existing: Organisation | None = None
    cert_id: int | None = None


def _parse_claims(
    claims: list[Any], where: Where, errors: list[FieldError]
) -> list[ParsedResource]:
    parsed = []
    for index, claim in enumerate(claims):
        if not isinstance(claim, str):
            continue  # the entry's own validation names it
        try:
            parsed.append(parse_resource(claim))
        except ValueError as exc:
            errors.append(FieldError(where.at("resources", index), str(exc)))
    return parsed


def _merge(
    plans: dict[str, Planned], where: Where, entry: OrganisationEntry, errors: list[FieldError]
) -> None:
    key = entry.name.lower()
    plan = plans.setdefault(key, Planned(key=key, name=entry.name, where=where))
    stated = {k: getattr(entry, k) for k in ("cert", "sector", "province", "cii")}
    for name, value in stated.items():
        if value is None:
            continue
        earlier = plan.fields.get(name)
        if earlier is not None and earlier[0] != value:
            errors.append(
                FieldError(
                    where.at(name) if name != "cii" else where.at("cii", "ministry"),
                    f"conflicts with {earlier[1].label} for {entry.name!r}",
                )
            )
        elif earlier is None:
            plan.fields[name] = (value, where)
    for parsed in _parse_claims(entry.resources, where, errors):
        plan.claims.setdefault((parsed.kind.value, parsed.value), (parsed, where))
    for index, contact in enumerate(entry.contacts):
        if contact.valid_until is not None and contact.valid_until < clock.now().date():
            errors.append(
                FieldError(
                    where.at("contacts", index, "valid_until"), f"{contact.valid_until} is past"
                )
            )
        ident = (str(contact.email).lower(), contact.role.value)
        earlier_contact = plan.contacts.get(ident)
        if earlier_contact is None:
            plan.contacts[ident] = (contact, where)
        elif earlier_contact[0] != contact:
            errors.append(
                FieldError(
                    where.at("contacts", index, "email"),
                    f"{contact.email} ({contact.role.value}) differs from "
                    f"{earlier_contact[1].label}",
                )
            )


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _check(
    session: Session, principal: Principal, plans: list[Planned], errors: list[FieldError]
) -> None:
    """Check merged entries against the profile and the database; reads only."""
    profile = profiles.active()
    visible = {c.short_name: c for c in session.scalars(access.scoped(select(Cert), principal))}
    editable = set(session.scalars(access.scoped(select(Cert.id), principal, "edit")))
    existing: dict[str, Organisation] = {}
    for chunk in _chunks([p.key for p in plans]):
        stmt = select(Organisation).where(func.lower(Organisation.name).in_(chunk))
        existing |= {o.name.lower(): o for o in session.scalars(stmt)}
    changeable: set[int] = set()
    for chunk in _chunks([o.id for o in existing.values()]):
        ids = select(Organisation.id).where(Organisation.id.in_(chunk))
        changeable |= set(session.scalars(access.scoped(ids, principal, "edit")))
    claim_keys = {k for p in plans for k in p.claims}
    holders: dict[tuple[str, str], int] = {}
    for chunk in _chunks(sorted({value for _, value in claim_keys})):
        rows = session.execute(
            select(Resource.kind, Resource.value, Resource.organisation_id).where(
                Resource.value.in_(chunk)
            )
        )
        holders |= {(kind.value, value): org_id for kind, value, org_id in rows}
    claimed_in_file: dict[tuple[str, str], Planned] = {}
    for plan in plans:
        plan.existing = existing.get(plan.key)
        if plan.existing is not None and plan.existing.id not in changeable:
            errors.append(
                FieldError(
                    plan.where.at("name"),
                    f"an organisation named {plan.name!r} exists that you may not change",
                )
            )
        cert_name, cert_where = plan.fields.get("cert", (None, plan.where))
        if cert_name is not None:
            cert = visible.get(cert_name)
            if cert is None:
                errors.append(FieldError(cert_where.at("cert"), f"unknown CERT {cert_name!r}"))
            elif cert.id not in editable:
                reason = f"you may not change the constituency of {cert_name}"
                errors.append(FieldError(cert_where.at("cert"), reason))
            else:
                plan.cert_id = cert.id
        elif plan.existing is None:
            errors.append(FieldError(plan.where.at("cert"), "a new organisation needs its CERT"))
        sector, sector_where = plan.fields.get("sector", (None, plan.where))
        if sector is not None and profile.sector(sector) is None:
            known = ", ".join(s.id for s in profile.sectors)
            reason = f"unknown sector {sector!r}; {profile.id} has: {known}"
            errors.append(FieldError(sector_where.at("sector"), reason))
        elif sector is None and plan.existing is None:
            errors.append(FieldError(plan.where.at("sector"), "a new organisation needs a sector"))
        province, province_where = plan.fields.get("province", (None, plan.where))
        if province is not None and profile.region(province) is None:
            known = ", ".join(r.id for r in profile.regions)
            reason = f"unknown province {province!r}; {profile.id} has: {known}"
            errors.append(FieldError(province_where.at("province"), reason))
        cii, cii_where = plan.fields.get("cii", (None, plan.where))
        if cii is not None:
            if cii.grade not in profile.cii.grades:
                reason = f"unknown grade {cii.grade!r}; {profile.id} grades: " + ", ".join(
                    profile.cii.grades
                )
                errors.append(FieldError(cii_where.at("cii", "grade"), reason))
            if cii.next_review is not None and cii.next_review <= cii.designated_on:
                reason = "must be after the designation date"
                errors.append(FieldError(cii_where.at("cii", "next_review"), reason))
        for ident, (parsed, where) in plan.claims.items():
            other = claimed_in_file.setdefault(ident, plan)
            if other is not plan:
                reason = f"{parsed.value} is claimed twice in the file: also by {other.name!r}"
                errors.append(FieldError(where.at("resources"), reason))
            holder = holders.get(ident)
            if holder is not None and (plan.existing is None or holder != plan.existing.id):
                reason = f"{parsed.value} is already claimed by another organisation"
                errors.append(FieldError(where.at("resources"), reason))


# --- apply ------------------------------------------------------------------------------------


def _organisation_changes(plan: Planned) -> dict[str, Any]:
    """The stored organisation's fields that the file changes (all stated ones if new)."""
    stated = {name: value for name, (value, _) in plan.fields.items()}
    if plan.cert_id is not None:
        stated["cert_id"] = plan.cert_id
    stated.pop("cert", None)
    org = plan.existing
    if org is None:
        return stated
    changes: dict[str, Any] = {}
    for name in ("cert_id", "sector", "province"):
        if name in stated and stated[name] != getattr(org, name):
            changes[name] = stated[name]
    cii: CiiDesignation | None = stated.get("cii")
    if cii is not None and (
        not org.cii
        or (org.cii_ministry, org.cii_grade, org.cii_designated_on)
        != (cii.ministry, cii.grade, cii.designated_on)
        or (cii.next_review is not None and cii.next_review != org.cii_next_review)
    ):
        changes["cii"] = cii
    return changes


def _apply_one(session: Session, principal: Principal, plan: Planned) -> OrganisationOutcome:
    changes = _organisation_changes(plan)
    if plan.existing is None:
        org = service.create_organisation(
            session=session,
            principal=principal,
            data=OrganisationCreate.model_validate({"name": plan.name, **changes}),
        )
        outcome = OrganisationOutcome(name=org.name, action="created")
    else:
        org = plan.existing
        if changes:
            service.update_organisation(
                session=session,
                principal=principal,
                organisation_id=org.id,
                data=OrganisationUpdate.model_validate(changes),
            )
        outcome = OrganisationOutcome(
            name=org.name,
            action="updated" if changes else "unchanged",
            changed_fields=sorted(changes),
        )
    held = {
        r.value for r in session.scalars(select(Resource).where(Resource.organisation_id == org.id))
    }
    new_claims = [parsed for parsed, _ in plan.claims.values() if parsed.value not in held]
    service.add_resources(
        session=session,
        principal=principal,
        organisation_id=org.id,
        claims=[ResourceCreate(value=p.value, kind=p.kind) for p in new_claims],
    )
    outcome.resources_added.extend(p.value for p in new_claims)
    stored = {
        (c.email.lower(), c.role.value): c
        for c in session.scalars(
            access.scoped(select(Contact).where(Contact.organisation_id == org.id), principal)
        )
    }
    for ident, (contact, _) in plan.contacts.items():
        current = stored.get(ident)
        if current is None:
            service.create_contact(
                session=session, principal=principal, data=contact, organisation_id=org.id
            )
            outcome.contacts_added.append(str(contact.email))
            continue
        stated = contact.model_dump(exclude_unset=True, exclude={"email", "role", "recipients"})
        update = {k: v for k, v in stated.items() if getattr(current, k) != v}
        if update:
            service.update_contact(
                session=session,
                principal=principal,
                contact_id=current.id,
                data=ContactUpdate.model_validate(update),
            )
            outcome.contacts_updated.append(str(contact.email))
    return outcome


def _tally(report: ImportReport, plans: list[Planned]) -> None:
    for outcome, plan in zip(report.organisations, plans, strict=True):
        if outcome.action == "created":
            report.organisations_created += 1
        elif outcome.action == "updated":
            report.organisations_updated += 1
        else:
            report.organisations_unchanged += 1
        report.resources_added += len(outcome.resources_added)
        report.resources_unchanged += len(plan.claims) - len(outcome.resources_added)
        report.contacts_added += len(outcome.contacts_added)
        report.contacts_updated += len(outcome.contacts_updated)
        report.contacts_unchanged += (
            len(plan.contacts) - len(outcome.contacts_added) - len(outcome.contacts_updated)
        )


# --- the entry point --------------------------------------------------------------------------


def import_constituency(
    *,
    session: Session,
    principal: Principal,
    content: bytes,
    filename: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import organisations, their claims and contacts from a CSV or JSON file, all or
    nothing. Raises :class:`Invalid` listing every bad row (nothing written); with
    ``dry_run``, reports what the import would do and writes nothing. ``progress`` is told
    (done, total) as each organisation is applied."""
    if "write" not in principal.scopes or not access.allowed(
        principal.role, "edit", "organisation"
    ):
        raise Forbidden("you may not import organisations")
    if len(content) > MAX_BYTES:
        raise Invalid.on("file", f"is larger than {MAX_BYTES // (1024 * 1024)} MiB; split it")
    fmt = detect_format(content, filename)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid.on("file", f"is not UTF-8 (byte {exc.start})") from exc
    raw, errors = parse_csv(text) if fmt == "csv" else parse_json(text)
    plans: dict[str, Planned] = {}
    for where, data in raw:
        try:
            entry = OrganisationEntry.model_validate(data)
        except ValidationError as exc:
            errors.extend(located_errors(exc, where))
            # Bad claims in the same entry are reported now, not on the next attempt.
            claims = data.get("resources")
            if isinstance(claims, list):
                _parse_claims(claims, where, errors)
            continue
        _merge(plans, where, entry, errors)
    if not raw and not errors:
        errors.append(FieldError("file", "holds no organisations"))
    ordered = list(plans.values())
    _check(session, principal, ordered, errors)
    if errors:
        raise Invalid(detail=_summary(errors), errors=errors)
    report = ImportReport(format=fmt, dry_run=dry_run)
    savepoint = session.begin_nested()
    try:
        for done, plan in enumerate(ordered, start=1):
            try:
                report.organisations.append(_apply_one(session, principal, plan))
                if progress is not None:
                    progress(done, len(ordered))
            except DomainError as exc:
                # The checks above should have caught it; say where, and keep all-or-nothing.
                savepoint.rollback()
                located = [FieldError(f"{plan.where.at(e.field)}", e.reason) for e in exc.errors]
                failure = located or [FieldError(plan.where.at("name"), exc.detail)]
                raise type(exc)(detail=_summary(failure), errors=failure) from exc
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    _tally(report, ordered)
    return report


def _summary(errors: list[FieldError]) -> str:
    problems = "problem" if len(errors) == 1 else "problems"
    return f"the import has {len(errors)} {problems}; nothing was written"
