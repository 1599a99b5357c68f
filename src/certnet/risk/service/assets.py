"""Assets: what each organisation runs. Created and edited one by one (console, portal, API)
or imported from CSV and CycloneDX SBOM JSON; every change rematches the asset."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal, Role
from certnet.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.risk import matching
from certnet.risk.models import Asset, Criticality, InternetExposure
from certnet.risk.products import ProductIdError, parse_cpe, parse_purl
from certnet.risk.service.intel import rules

EDITABLE = ("name", "cpe", "purl", "version", "exposure", "criticality", "owner_contact")


@dataclass(frozen=True)
class AssetInput:
    """One asset as given: a name, a CPE 2.3 and/or a purl, and the rest."""

    name: str
    cpe: str | None = None
    purl: str | None = None
    version: str | None = None
    exposure: str = "controlled"
    criticality: str = "medium"
    owner_contact: str | None = None
    bom_ref: str | None = None


@dataclass(frozen=True)
class _Checked:
    name: str
    cpe: str | None
    purl: str | None
    cpe_key: str | None
    purl_key: str | None
    version: str | None
    exposure: InternetExposure
    criticality: Criticality
    owner_contact: str | None
    bom_ref: str | None

    @property
    def natural_key(self) -> str:
        return f"{self.purl_key or self.cpe_key}@{self.version or ''}#{self.name}"[:700]


def check(item: AssetInput, where: str = "") -> _Checked:
    """Validate one asset; :class:`Invalid` names each bad field (prefixed with ``where``)."""
    errors: list[FieldError] = []
    cpe_key = purl_key = None
    version = (item.version or "").strip() or None
    name = item.name.strip()
    if not name:
        errors.append(FieldError(f"{where}name", "required"))
    if not (item.cpe or item.purl):
        errors.append(FieldError(f"{where}cpe", "give a CPE 2.3 name or a purl (or both)"))
    if item.cpe:
        try:
            cpe = parse_cpe(item.cpe)
            cpe_key = cpe.key
            version = version or cpe.version
        except ProductIdError as error:
            errors.append(FieldError(f"{where}cpe", str(error)))
    if item.purl:
        try:
            purl = parse_purl(item.purl)
            purl_key = purl.key
            version = version or purl.version
        except ProductIdError as error:
            errors.append(FieldError(f"{where}purl", str(error)))
    try:
        exposure = InternetExposure((item.exposure or "controlled").strip().lower())
    except ValueError:
        errors.append(FieldError(f"{where}exposure", "one of open, controlled, small"))
        exposure = InternetExposure.CONTROLLED
    try:
        criticality = Criticality((item.criticality or "medium").strip().lower())
    except ValueError:
        errors.append(FieldError(f"{where}criticality", "one of low, medium, high, critical"))
        criticality = Criticality.MEDIUM
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    return _Checked(
        name[:200],
        item.cpe.strip() if item.cpe else None,
        item.purl.strip() if item.purl else None,
        cpe_key,
        purl_key,
        version and version[:128],
        exposure,
        criticality,
        (item.owner_contact or None) and str(item.owner_contact)[:254],
        item.bom_ref,
    )


def _admins_only(principal: Principal) -> None:
    """Within an organisation, its admins keep the asset list, not every reporter."""
    if principal.role is Role.CONSTITUENT_REPORTER:
        raise Forbidden("your organisation's admins keep its assets")


def _organisation(session: Session, principal: Principal, organisation_id: int) -> Any:
    org = constituency.get_organisation(
        session=session, principal=principal, organisation_id=organisation_id
    )
    if org is None:
        raise NotFound(f"organisation {organisation_id} not found")
    return org


def create_asset(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int,
    item: AssetInput,
    source: str = "manual",
) -> Asset:
    """Add one asset to an organisation (its CERT's staff, or its own admins)."""
    _admins_only(principal)
    org = _organisation(session, principal, organisation_id)
    checked = check(item)
    if session.scalar(
        select(Asset.id).where(
            Asset.organisation_id == org.id, Asset.natural_key == checked.natural_key
        )
    ):
        raise Conflict(f"{org.name} already has this asset ({checked.name} {checked.version})")
    now = clock.now()
    asset = _new(org, checked, source, now)
    session.add(asset)
    session.flush()
    access.require_create(session, principal, asset)
    audit.record(
        session=session,
        principal=principal,
        action="risk.asset.create",
        object_type="asset",
        object_id=asset.id,
        after=audit.snapshot(asset),
        owner_cert_id=asset.owner_cert_id,
    )
    matching.rematch(session, now=now, rules=rules(), asset_ids={asset.id})
    return asset


def _new(org: Any, checked: _Checked, source: str, now: datetime) -> Asset:
    return Asset(
        owner_cert_id=org.cert_id,
        organisation_id=org.id,
        name=checked.name,
        cpe=checked.cpe,
        purl=checked.purl,
        cpe_key=checked.cpe_key,
        purl_key=checked.purl_key,
        version=checked.version,
        exposure=checked.exposure,
        criticality=checked.criticality,
        owner_contact=checked.owner_contact,
        source=source,
        bom_ref=checked.bom_ref,
        natural_key=checked.natural_key,
        created_at=now,
        updated_at=now,
    )


def get_asset(*, session: Session, principal: Principal, asset_id: int) -> Asset:
    """One asset, or NotFound when out of the principal's sight."""
    asset = session.scalar(access.scoped(select(Asset).where(Asset.id == asset_id), principal))
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    return asset


def update_asset(
    *, session: Session, principal: Principal, asset_id: int, changes: Mapping[str, Any]
) -> Asset:
    """Change an asset's fields (``EDITABLE``); rematches it."""
    _admins_only(principal)
    asset = get_asset(session=session, principal=principal, asset_id=asset_id)
    access.require(session, principal, "edit", asset)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid.on(sorted(unknown)[0], "cannot be changed")
    before = audit.snapshot(asset)
    current = {k: getattr(asset, k) for k in EDITABLE}
    current.update(changes)
    checked = check(
        AssetInput(
            name=str(current["name"]),
            cpe=current["cpe"],
            purl=current["purl"],
            version=current["version"],
            exposure=str(current["exposure"]),
            criticality=str(current["criticality"]),
            owner_contact=current["owner_contact"],
            bom_ref=asset.bom_ref,
        )
    )
    for name in ("name", "cpe", "purl", "cpe_key", "purl_key", "version"):
        setattr(asset, name, getattr(checked, name))
    asset.exposure, asset.criticality = checked.exposure, checked.criticality
    asset.owner_contact, asset.natural_key = checked.owner_contact, checked.natural_key
    now = clock.now()
    asset.updated_at = now
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="risk.asset.update",
        object_type="asset",
        object_id=asset.id,
        before=before,
        after=audit.snapshot(asset),
        owner_cert_id=asset.owner_cert_id,
    )
    matching.rematch(session, now=now, rules=rules(), asset_ids={asset.id})
    return asset


def delete_asset(*, session: Session, principal: Principal, asset_id: int) -> None:
    """Remove an asset (its exposures and measures go with it)."""
    _admins_only(principal)
    asset = get_asset(session=session, principal=principal, asset_id=asset_id)
    access.require(session, principal, "edit", asset)
    audit.record(
        session=session,
        principal=principal,
        action="risk.asset.delete",
        object_type="asset",
        object_id=asset.id,
        before=audit.snapshot(asset),
        owner_cert_id=asset.owner_cert_id,
    )
    session.execute(delete(Asset).where(Asset.id == asset.id))


def list_assets(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Asset]:
    """Assets the principal may see, by id."""
    stmt: Select[Any] = access.scoped(select(Asset), principal)
    if organisation_id is not None:
        stmt = stmt.where(Asset.organisation_id == organisation_id)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            Asset.cpe_key.like(like) | Asset.purl_key.like(like) | Asset.name.ilike(like)
        )
    return paginate(session, stmt, keys=[Asset.id], cursor=cursor, limit=limit)


# --- import --------------------------------------------------------------------------------


@dataclass
class AssetImportSummary:
    """What an asset import did."""

    format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    exposures_changed: int = 0
    errors: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "exposures_changed": self.exposures_changed,
        }


def parse_csv(text: str) -> list[tuple[str, AssetInput]]:
    """Rows of an asset CSV (columns name, cpe, purl, version, exposure, criticality,
    owner_contact), each with its line label."""
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if "name" not in columns or not ({"cpe", "purl"} & columns):
        raise Invalid.on("header", "an asset CSV has the columns name and cpe and/or purl")
    rows: list[tuple[str, AssetInput]] = []
    for number, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        rows.append(
            (
                f"line {number}",
                AssetInput(
                    name=row.get("name", ""),
                    cpe=row.get("cpe") or None,
                    purl=row.get("purl") or None,
                    version=row.get("version") or None,
                    exposure=row.get("exposure") or "controlled",
                    criticality=row.get("criticality") or "medium",
                    owner_contact=row.get("owner_contact") or None,
                ),
            )
        )
    return rows


def parse_cyclonedx(
    doc: Mapping[str, Any], *, exposure: str, criticality: str, owner_contact: str | None
) -> list[tuple[str, AssetInput]]:
    """Components of a CycloneDX SBOM (JSON, 1.4 to 1.6), nested ones included. Every
    ``bom-ref`` must be unique and every dependency must name existing refs: otherwise
    :class:`Invalid` names the component. Components without a CPE or purl are left out
    (nothing to match on)."""
    if doc.get("bomFormat") != "CycloneDX":
        raise Invalid.on("bomFormat", "not a CycloneDX SBOM")
    found: list[tuple[str, Mapping[str, Any]]] = []

    def walk(items: Any, where: str) -> None:
        for i, comp in enumerate(items or []):
            if isinstance(comp, Mapping):
                found.append((f"{where}[{i}]", comp))
                walk(comp.get("components"), f"{where}[{i}].components")

    walk(doc.get("components"), "components")
    meta = (doc.get("metadata") or {}).get("component")
    refs: dict[str, str] = {}
    if isinstance(meta, Mapping) and meta.get("bom-ref"):
        refs[str(meta["bom-ref"])] = "metadata.component"
    for where, comp in found:
        ref = comp.get("bom-ref")
        if ref is None:
            continue
        label = f"{where} ({comp.get('name', '?')})"
        if str(ref) in refs:
            raise Invalid.on(f"{label}.bom-ref", f"{ref!r} is also the bom-ref of {refs[ref]}")
        refs[str(ref)] = label
    for i, dep in enumerate(doc.get("dependencies") or []):
        ref = str(dep.get("ref", ""))
        if ref not in refs:
            raise Invalid.on(f"dependencies[{i}].ref", f"{ref!r} names no component")
        for target in dep.get("dependsOn") or []:
            if str(target) not in refs:
                raise Invalid.on(
                    f"dependencies[{i}].dependsOn",
                    f"{refs[ref]} depends on {target!r}, which names no component",
                )
    rows: list[tuple[str, AssetInput]] = []
    for where, comp in found:
        if not comp.get("cpe") and not comp.get("purl"):
            continue
        rows.append(
            (
                f"{where} ({comp.get('name', '?')})",
                AssetInput(
                    name=str(comp.get("name") or comp.get("purl") or comp.get("cpe")),
                    cpe=comp.get("cpe"),
                    purl=comp.get("purl"),
                    version=comp.get("version"),
                    exposure=exposure,
                    criticality=criticality,
                    owner_contact=owner_contact,
                    bom_ref=(str(comp["bom-ref"]) if comp.get("bom-ref") else None),
                ),
            )
        )
    return rows


def import_assets(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int,
    content: bytes,
    filename: str | None = None,
    exposure: str = "controlled",
    criticality: str = "medium",
    owner_contact: str | None = None,
) -> AssetImportSummary:
    """Import an organisation's assets from CSV or a CycloneDX SBOM (detected).

    All or nothing: any bad row is an :class:`Invalid` naming the row (or component) and the
    field, and nothing is written. Re-importing updates in place; an SBOM re-import also
    removes the assets the earlier import of the same SBOM had and this one lacks.
    """
    _admins_only(principal)
    org = _organisation(session, principal, organisation_id)
    text = content.decode("utf-8-sig", errors="replace")
    source_name = filename or "upload"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, Mapping):
        rows = parse_cyclonedx(
            doc, exposure=exposure, criticality=criticality, owner_contact=owner_contact
        )
        meta = (doc.get("metadata") or {}).get("component") or {}
        source = f"sbom:{meta.get('name') or doc.get('serialNumber') or source_name}"[:200]
        summary = AssetImportSummary("cyclonedx")
    else:
        rows = parse_csv(text)
        source = f"csv:{source_name}"[:200]
        summary = AssetImportSummary("csv")
    checked: list[_Checked] = []
    errors: list[FieldError] = []
    for label, item in rows:
        try:
            checked.append(check(item, where=f"{label}: "))
        except Invalid as error:
            errors.extend(error.errors)
    if errors:
        raise Invalid(detail=f"{len(errors)} problem(s) in {source_name}", errors=errors)
    now = clock.now()
    existing = {
        a.natural_key: a
        for a in session.scalars(
            access.scoped(select(Asset), principal, "edit").where(Asset.organisation_id == org.id)
        )
    }
    seen: set[str] = set()
    touched: set[int] = set()
    new_assets: list[Asset] = []
    for ok in checked:
        key = ok.natural_key
        if key in seen:
            continue
        seen.add(key)
        asset = existing.get(key)
        if asset is None:
            asset = _new(org, ok, source, now)
            session.add(asset)
            new_assets.append(asset)
            summary.created += 1
            continue
        values = {
            "exposure": ok.exposure,
            "criticality": ok.criticality,
            "owner_contact": ok.owner_contact,
            "cpe": ok.cpe,
            "purl": ok.purl,
            "bom_ref": ok.bom_ref,
        }
        if any(getattr(asset, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(asset, k, v)
            asset.updated_at = now
            touched.add(asset.id)
            summary.updated += 1
        else:
            summary.unchanged += 1
    if source.startswith("sbom:"):
        stale = [a for k, a in existing.items() if a.source == source and k not in seen]
        for asset in stale:
            session.delete(asset)
        summary.removed = len(stale)
    session.flush()
    if new_assets:
        access.require_create(session, principal, new_assets[0])
    touched |= {a.id for a in new_assets}
    audit.record(
        session=session,
        principal=principal,
        action="risk.asset.import",
        object_type="organisation",
        object_id=org.id,
        after={"source": source, **summary.as_dict()},
        owner_cert_id=org.cert_id,
    )
    if touched:
        result = matching.rematch(session, now=now, rules=rules(), asset_ids=touched)
        summary.exposures_changed = result.touched
    return summary
