"""Which organisations run a product: the question an advisory's targeting asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Organisation
from certnet.core import access
from certnet.core.access import Principal
from certnet.core.errors import FieldError, Invalid
from certnet.risk.models import Asset
from certnet.risk.products import ProductIdError, in_range, parse_cpe, parse_purl, parse_vers


@dataclass(frozen=True)
class ProductRef:
    """A product an advisory (or any caller) names: a CPE 2.3 formatted string and/or a purl,
    and optionally which versions.

    ``versions`` is a version range in the ``vers`` notation CSAF 2.0 recommends for
    ``product_version_range`` (``vers:semver/>=2.0.0|<2.17.1``, ``vers:generic/<=4.1``); ``None``
    means the version in the CPE (its version component, if not ``*``/``-``) or the purl
    (``@version``), and if neither gives one, every version.
    """

    cpe: str | None = None
    purl: str | None = None
    versions: str | None = None


@dataclass(frozen=True)
class MatchedAsset:
    """One asset of an organisation that matched a :class:`ProductRef`."""

    asset_id: int
    name: str
    version: str | None
    cpe: str | None
    purl: str | None
    #: The index in the ``products`` argument of the reference it matched.
    product_index: int


@dataclass(frozen=True)
class AffectedOrganisation:
    """An organisation with at least one matching asset, with the CERT that owns it."""

    organisation_id: int
    organisation_name: str
    cert_id: int
    assets: tuple[MatchedAsset, ...]


def organisations_affected(
    session: Session, principal: Principal, products: Sequence[ProductRef]
) -> list[AffectedOrganisation]:
    """The organisations (within what ``principal`` may see) whose assets match any of
    ``products``, ordered by organisation id, each with its matching assets.

    Matching is by normalised product name (CPE ``vendor:product``, purl
    ``type/namespace/name``) and then by version against the range. An asset without a version
    matches every reference to its product (it may run an affected version). Raises
    :class:`certnet.core.errors.Invalid` naming
    ``products[i].cpe`` / ``.purl`` / ``.versions`` when a reference is malformed.
    """
    wanted: list[tuple[set[str], list[dict[str, object]]]] = []
    errors: list[FieldError] = []
    for i, ref in enumerate(products):
        keys: set[str] = set()
        ranges: list[dict[str, object]] = []
        exact: str | None = None
        for name, text, parse in (("cpe", ref.cpe, parse_cpe), ("purl", ref.purl, parse_purl)):
            if not text:
                continue
            try:
                parsed = parse(text)
            except ProductIdError as error:
                errors.append(FieldError(f"products[{i}].{name}", str(error)))
                continue
            keys.add(parsed.key)
            exact = exact or parsed.version
        if not ref.cpe and not ref.purl:
            errors.append(FieldError(f"products[{i}]", "give a CPE 2.3 name or a purl"))
        if ref.versions:
            try:
                ranges = list(parse_vers(ref.versions))
            except ProductIdError as error:
                errors.append(FieldError(f"products[{i}].versions", str(error)))
        elif exact:
            ranges = [{"exact": exact}]
        wanted.append((keys, ranges))
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    all_keys = sorted({k for keys, _ in wanted for k in keys})
    if not all_keys:
        return []
    stmt = (
        access.scoped(select(Asset), principal)
        .where(or_(Asset.cpe_key.in_(all_keys), Asset.purl_key.in_(all_keys)))
        .order_by(Asset.organisation_id, Asset.id)
    )
    by_org: dict[int, list[MatchedAsset]] = {}
    certs: dict[int, int] = {}
    for asset in session.scalars(stmt):
        for index, (keys, ranges) in enumerate(wanted):
            if asset.cpe_key not in keys and asset.purl_key not in keys:
                continue
            # An asset without a version may run an affected one: it is told.
            outside = asset.version is not None and ranges
            if outside and not any(in_range(str(asset.version), spec) for spec in ranges):
                continue
            by_org.setdefault(asset.organisation_id, []).append(
                MatchedAsset(asset.id, asset.name, asset.version, asset.cpe, asset.purl, index)
            )
            certs[asset.organisation_id] = asset.owner_cert_id
            break
    if not by_org:
        return []
    rows = session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(sorted(by_org)))
    )
    names: dict[int, str] = {row.id: row.name for row in rows}
    return [
        AffectedOrganisation(org_id, names.get(org_id, str(org_id)), certs[org_id], tuple(found))
        for org_id, found in sorted(by_org.items())
    ]
