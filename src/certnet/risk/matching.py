"""Matching: vulnerability statements (product key + version ranges + status) against assets
→ exposures, each prioritised with SSVC and given a protective measure.

Incremental by construction: a rematch is asked for a set of vulnerabilities (a new or updated
advisory) or a set of assets (an import, an edit), and reads only the assets whose normalised
product key a statement names (``asset.cpe_key`` / ``asset.purl_key`` are indexed). A full
rematch is the same work over every statement, streamed key by key.

Works on plain rows (SQLAlchemy Core) and bulk statements: a full rematch of hundreds of
thousands of assets must not build an ORM object per row. Access is not asked here: exposures
are derived from network-wide intelligence and each organisation's assets, and every read of
them goes through the policy. Callers audit the run (:func:`rematch` returns its counts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, String, Table, bindparam, insert, select, true, type_coerce, update
from sqlalchemy.orm import Session

from certnet.constituency.models import Organisation
from certnet.risk import ssvc
from certnet.risk.models import (
    AffectedProduct,
    Asset,
    Exposure,
    ExposureState,
    Measure,
    MeasureKind,
    MeasureState,
    ProductStatus,
    Vulnerability,
)
from certnet.risk.products import in_range

CHUNK = 900  # under SQLite's bound-parameter limit
# Core tables: bulk writes skip the ORM's per-row bookkeeping.
_EXPOSURE_TABLE = cast(Table, Exposure.__table__)
_MEASURE_TABLE = cast(Table, Measure.__table__)
_STILL_OPEN = (MeasureState.OPEN.value, MeasureState.IN_PROGRESS.value)


@dataclass(frozen=True)
class Statement:
    """One source's word on one product for one vulnerability."""

    vulnerability_id: int
    status: ProductStatus
    ranges: tuple[Mapping[str, Any], ...]
    justification: str | None
    source: str


@dataclass
class RematchResult:
    """What a rematch did."""

    assets_checked: int = 0
    created: int = 0
    changed: int = 0
    gone: int = 0
    measures_created: int = 0
    organisation_ids: set[int] = field(default_factory=set)

    @property
    def touched(self) -> int:
        return self.created + self.changed + self.gone


def _contains(version: str | None, ranges: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ``version`` is inside ``ranges`` (empty = every version). An unknown version
    is inside only the every-version statement."""
    if not ranges:
        return True
    if version is None:
        return False
    return any(in_range(version, spec) for spec in ranges)


def verdict(version: str | None, statements: Iterable[Statement]) -> tuple[bool, str | None]:
    """Whether an asset at ``version`` is exposed to one vulnerability, given every statement
    about its product, and if a VEX statement suppresses it, why.

    Affected when an ``affected`` statement covers the version (an asset without a version is
    affected by any ``affected`` statement: it may be) and no ``unaffected``/``fixed``
    statement covers it explicitly. ``known_not_affected`` covering it suppresses.
    """
    affected = False
    cleared = False
    suppressed: str | None = None
    for st in statements:
        if st.status is ProductStatus.AFFECTED:
            if version is None or _contains(version, st.ranges):
                affected = True
        elif st.status in (ProductStatus.UNAFFECTED, ProductStatus.FIXED):
            if st.ranges and _contains(version, st.ranges):
                cleared = True
        elif st.status is ProductStatus.KNOWN_NOT_AFFECTED and _contains(version, st.ranges):
            suppressed = f"{st.justification or 'known_not_affected'} ({st.source})"
    if not affected or cleared:
        return False, None
    return True, suppressed


@dataclass(frozen=True)
class _VulnFacts:
    id: int
    kev: bool
    exploited: bool
    poc: bool
    epss: float | None
    automatable: str | None
    technical_impact: str | None
    kev_due_date: date | None


def _text(column: Any, name: str) -> Any:
    """An enum column read as its stored text: no per-row conversion to the enum."""
    return type_coerce(column, String).label(name)


def _core(session: Session) -> Any:
    """The session's connection: plain rows, without the ORM's per-row bookkeeping."""
    return session.connection()


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _statements(
    session: Session, vulnerability_ids: Collection[int] | None
) -> dict[str, dict[int, list[Statement]]]:
    """Statements grouped by product key, then by vulnerability."""
    by_key: dict[str, dict[int, list[Statement]]] = defaultdict(lambda: defaultdict(list))
    cols = (
        AffectedProduct.product_key,
        AffectedProduct.vulnerability_id,
        AffectedProduct.status,
        AffectedProduct.ranges,
        AffectedProduct.justification,
        AffectedProduct.source,
    )
    if vulnerability_ids is None:
        # Only statements on products some organisation runs can match anything.
        run = (
            select(Asset.cpe_key.label("key"))
            .where(Asset.cpe_key.is_not(None))
            .union(select(Asset.purl_key).where(Asset.purl_key.is_not(None)))
        )
        rows = _core(session).execute(
            select(*cols).where(AffectedProduct.product_key.in_(select(run.subquery().c.key)))
        )
        _group(rows, by_key)
    else:
        for part in _chunks(sorted(vulnerability_ids)):
            _group(
                _core(session).execute(
                    select(*cols).where(AffectedProduct.vulnerability_id.in_(part))
                ),
                by_key,
            )
    return by_key


def _group(rows: Any, by_key: dict[str, dict[int, list[Statement]]]) -> None:
    # ``all()`` fetches in one call; iterating a result fetches row by row.
    for row in rows.all():
        key, vid, status, ranges, justification, source = tuple(row)
        by_key[key][vid].append(
            Statement(vid, ProductStatus(status), tuple(ranges or ()), justification, source)
        )


def _all_statements_for(
    session: Session, keys: Sequence[str], vulnerability_ids: Collection[int]
) -> dict[str, dict[int, list[Statement]]]:
    """Every source's statements on these keys for these vulnerabilities (a VEX from one
    vendor document must see the CVE's own affected statement, and the other way round)."""
    by_key: dict[str, dict[int, list[Statement]]] = defaultdict(lambda: defaultdict(list))
    cols = (
        AffectedProduct.product_key,
        AffectedProduct.vulnerability_id,
        AffectedProduct.status,
        AffectedProduct.ranges,
        AffectedProduct.justification,
        AffectedProduct.source,
    )
    vids = sorted(vulnerability_ids)
    for key_part in _chunks(list(keys), 400):
        for vid_part in _chunks(vids, 400):
            _group(
                _core(session).execute(
                    select(*cols).where(
                        AffectedProduct.product_key.in_(key_part),
                        AffectedProduct.vulnerability_id.in_(vid_part),
                    )
                ),
                by_key,
            )
    return by_key


def _facts(session: Session, ids: Collection[int]) -> dict[int, _VulnFacts]:
    out: dict[int, _VulnFacts] = {}
    cols = (
        Vulnerability.id,
        Vulnerability.kev,
        Vulnerability.exploited,
        Vulnerability.poc,
        Vulnerability.epss,
        Vulnerability.automatable,
        Vulnerability.technical_impact,
        Vulnerability.kev_due_date,
        Vulnerability.state,
    )
    for part in _chunks(sorted(ids)):
        for row in _core(session).execute(select(*cols).where(Vulnerability.id.in_(part))).all():
            if row.state == "REJECTED":
                continue
            out[row.id] = _VulnFacts(*row[:8])
    return out


_ASSET_COLS = (
    Asset.id,
    Asset.organisation_id,
    Asset.owner_cert_id,
    Asset.cpe_key,
    Asset.purl_key,
    Asset.version,
    _text(Asset.exposure, "exposure"),
    _text(Asset.criticality, "criticality"),
    Organisation.sector,
    Organisation.cii,
)


def _assets_for_keys(session: Session, keys: Sequence[str]) -> Iterator[Any]:
    """Assets running any of ``keys``: one indexed lookup per key column (an OR of the two
    would scan), each asset once."""
    seen: set[int] = set()
    for column in (Asset.cpe_key, Asset.purl_key):
        for part in _chunks(list(keys)):
            for row in (
                _core(session)
                .execute(
                    select(*_ASSET_COLS)
                    .join(Organisation, Organisation.id == Asset.organisation_id)
                    .where(column.in_(part))
                )
                .all()
            ):
                if row.id not in seen:
                    seen.add(row.id)
                    yield row


def _assets_by_id(session: Session, ids: Sequence[int]) -> Iterator[Any]:
    for part in _chunks(list(ids)):
        yield from _core(session).execute(
            select(*_ASSET_COLS)
            .join(Organisation, Organisation.id == Asset.organisation_id)
            .where(Asset.id.in_(part))
        )


def _derive(
    asset: Row[Any], facts: _VulnFacts, rules: ssvc.Policy
) -> tuple[ssvc.SsvcInputs, str, str]:
    mission, human = ssvc.derive_impact(
        criticality=str(asset.criticality),
        sector=asset.sector,
        cii=bool(asset.cii),
        rules=rules,
    )
    inputs = ssvc.SsvcInputs(
        exploitation=ssvc.derive_exploitation(
            kev=facts.kev,
            exploited=facts.exploited,
            poc=facts.poc,
            epss=facts.epss,
            rules=rules,
        ),
        automatable=facts.automatable or "no",
        technical_impact=facts.technical_impact or "partial",
        system_exposure=str(asset.exposure),
        mission_wellbeing=mission,
        human_impact=human,
    )
    coordinator, deployer = ssvc.decide(inputs)
    return inputs, coordinator, deployer


def apply_overrides(
    inputs: ssvc.SsvcInputs, overrides: Mapping[str, str]
) -> tuple[ssvc.SsvcInputs, str, str]:
    """Inputs with an analyst's overrides laid over them, and the decisions they give."""
    values = inputs.as_dict()
    values.update({k: v for k, v in overrides.items() if k in values})
    merged = ssvc.SsvcInputs(**values)
    coordinator, deployer = ssvc.decide(merged)
    return merged, coordinator, deployer


def rematch(
    session: Session,
    *,
    now: datetime,
    rules: ssvc.Policy,
    vulnerability_ids: Collection[int] | None = None,
    asset_ids: Collection[int] | None = None,
) -> RematchResult:
    """Recompute the exposures of the given vulnerabilities (every asset of a product they
    name) or of the given assets (against every statement on their products); with neither,
    everything. Creates exposures and their measures, updates changed ones (state, SSVC
    inputs not overridden, the open measure's priority and due date), and marks those that no
    longer match ``gone``. Idempotent: a second run changes nothing."""
    result = RematchResult()
    session.flush()  # what follows reads through the connection, past the ORM
    if asset_ids is not None:
        assets = list(_assets_by_id(session, sorted(asset_ids)))
        keys = sorted({k for a in assets for k in (a.cpe_key, a.purl_key) if k})
        by_key = _keyed(session, keys) if keys else {}
        _match(session, assets, by_key, now, rules, result, scope_assets=set(asset_ids))
        return result
    by_key = _statements(session, vulnerability_ids)
    keys = sorted(by_key)
    if vulnerability_ids is None:
        # Everything: the statements are already limited to products someone runs.
        assets_iter: Iterable[Any] = _assets_for_keys(session, keys)
    else:
        assets_iter = _assets_for_keys(session, keys)
    if vulnerability_ids is not None:
        # Another source's statements on the same products decide too (a VEX suppresses a
        # CVE's affected statement): read them for the vulnerabilities in scope.
        by_key = _all_statements_for(session, keys, vulnerability_ids)
    _match(
        session,
        list(assets_iter),
        by_key,
        now,
        rules,
        result,
        scope_vulns=None if vulnerability_ids is None else set(vulnerability_ids),
    )
    return result


def _keyed(session: Session, keys: Sequence[str]) -> dict[str, dict[int, list[Statement]]]:
    by_key: dict[str, dict[int, list[Statement]]] = defaultdict(lambda: defaultdict(list))
    cols = (
        AffectedProduct.product_key,
        AffectedProduct.vulnerability_id,
        AffectedProduct.status,
        AffectedProduct.ranges,
        AffectedProduct.justification,
        AffectedProduct.source,
    )
    for part in _chunks(list(keys)):
        _group(
            _core(session).execute(select(*cols).where(AffectedProduct.product_key.in_(part))),
            by_key,
        )
    return by_key


def _match(
    session: Session,
    assets: list[Row[Any]],
    by_key: Mapping[str, Mapping[int, list[Statement]]],
    now: datetime,
    rules: ssvc.Policy,
    result: RematchResult,
    *,
    scope_assets: set[int] | None = None,
    scope_vulns: set[int] | None = None,
) -> None:
    result.assets_checked = len(assets)
    vuln_ids = {vid for per in by_key.values() for vid in per}
    facts = _facts(session, vuln_ids)
    # What should exist: (asset, vulnerability) → (state, suppressed_by, matched_on)
    wanted: dict[tuple[int, int], tuple[ExposureState, str | None, str]] = {}
    asset_rows: dict[int, Row[Any]] = {}
    for asset in assets:
        asset_rows[asset.id] = asset
        per_vuln: dict[int, tuple[list[Statement], str]] = {}
        for key, label in ((asset.cpe_key, "cpe"), (asset.purl_key, "purl")):
            if not key or key not in by_key:
                continue
            for vid, statements in by_key[key].items():
                bucket = per_vuln.setdefault(vid, ([], label))
                bucket[0].extend(statements)
        for vid, (statements, label) in per_vuln.items():
            if vid not in facts:
                continue
            exposed, suppressed = verdict(asset.version, statements)
            if exposed:
                state = ExposureState.SUPPRESSED if suppressed else ExposureState.ACTIVE
                wanted[(asset.id, vid)] = (state, suppressed, label)
    existing = _existing(session, asset_rows, scope_assets, scope_vulns, vuln_ids)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    measure_updates: list[dict[str, Any]] = []
    for pair, (state, suppressed, label) in wanted.items():
        asset = asset_rows[pair[0]]
        inputs, coordinator, deployer = _derive(asset, facts[pair[1]], rules)
        old = existing.pop(pair, None)
        if old is None:
            inserts.append(
                {
                    "owner_cert_id": asset.owner_cert_id,
                    "organisation_id": asset.organisation_id,
                    "asset_id": pair[0],
                    "vulnerability_id": pair[1],
                    "state": state,
                    "suppressed_by": suppressed,
                    "matched_on": label,
                    **inputs.as_dict(),
                    "coordinator_decision": coordinator,
                    "deployer_decision": deployer,
                    "overrides": {},
                    "override_reason": None,
                    "first_seen": now,
                    "last_matched": now,
                }
            )
            result.organisation_ids.add(asset.organisation_id)
            continue
        if old.overrides:
            inputs, coordinator, deployer = apply_overrides(inputs, old.overrides)
        new_values = {
            "state": state,
            "suppressed_by": suppressed,
            **inputs.as_dict(),
            "coordinator_decision": coordinator,
            "deployer_decision": deployer,
        }
        current = {k: getattr(old, k) for k in new_values}
        if {k: str(v) if v is not None else None for k, v in current.items()} != {
            k: str(v) if v is not None else None for k, v in new_values.items()
        }:
            updates.append(
                {"b_id": old.id, "b_asset": old.asset_id, **new_values, "last_matched": now}
            )
            result.changed += 1
            result.organisation_ids.add(old.organisation_id)
            if old.deployer_decision != deployer:
                due, basis = rules.due_on(
                    decision=deployer,
                    first_seen=old.first_seen.date(),
                    kev_due_date=facts[pair[1]].kev_due_date,
                )
                measure_updates.append(
                    {"b_exposure": old.id, "priority": deployer, "due_on": due, "due_basis": basis}
                )
    for old in existing.values():
        if old.state != ExposureState.GONE:
            updates.append(
                {
                    "b_id": old.id,
                    "b_asset": old.asset_id,
                    "state": ExposureState.GONE,
                    "suppressed_by": old.suppressed_by,
                    "exploitation": old.exploitation,
                    "automatable": old.automatable,
                    "technical_impact": old.technical_impact,
                    "system_exposure": old.system_exposure,
                    "mission_wellbeing": old.mission_wellbeing,
                    "human_impact": old.human_impact,
                    "coordinator_decision": old.coordinator_decision,
                    "deployer_decision": old.deployer_decision,
                    "last_matched": old.last_matched,
                }
            )
            result.gone += 1
            result.organisation_ids.add(old.organisation_id)
    _write(session, inserts, updates, measure_updates, facts, rules, now, result)


def _existing(
    session: Session,
    asset_rows: Mapping[int, Row[Any]],
    scope_assets: set[int] | None,
    scope_vulns: set[int] | None,
    vuln_ids: set[int],
) -> dict[tuple[int, int], Row[Any]]:
    """Stored exposures inside the rematch's scope, by (asset, vulnerability)."""
    cols = (
        Exposure.id,
        Exposure.asset_id,
        Exposure.vulnerability_id,
        Exposure.organisation_id,
        _text(Exposure.state, "state"),
        Exposure.suppressed_by,
        _text(Exposure.exploitation, "exploitation"),
        _text(Exposure.automatable, "automatable"),
        _text(Exposure.technical_impact, "technical_impact"),
        _text(Exposure.system_exposure, "system_exposure"),
        Exposure.mission_wellbeing,
        Exposure.human_impact,
        Exposure.coordinator_decision,
        Exposure.deployer_decision,
        Exposure.overrides,
        Exposure.first_seen,
        Exposure.last_matched,
    )
    found: dict[tuple[int, int], Any] = {}
    if scope_assets is not None:
        for part in _chunks(sorted(scope_assets)):
            for row in (
                _core(session).execute(select(*cols).where(Exposure.asset_id.in_(part))).all()
            ):
                found[(row.asset_id, row.vulnerability_id)] = row
    elif scope_vulns is not None:
        for part in _chunks(sorted(scope_vulns)):
            for row in _core(session).execute(
                select(*cols).where(Exposure.vulnerability_id.in_(part))
            ):
                found[(row.asset_id, row.vulnerability_id)] = row
    else:
        for row in _core(session).execute(select(*cols)).all():
            found[(row.asset_id, row.vulnerability_id)] = row
    return found


def _write(
    session: Session,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    measure_updates: list[dict[str, Any]],
    facts: Mapping[int, _VulnFacts],
    rules: ssvc.Policy,
    now: datetime,
    result: RematchResult,
) -> None:
    exposure_table, measure_table = _EXPOSURE_TABLE, _MEASURE_TABLE
    created: list[tuple[int, dict[str, Any]]] = []
    by_pair = {(r["asset_id"], r["vulnerability_id"]): r for r in inserts}
    postgres = session.get_bind().dialect.name == "postgresql"
    for part in _chunks(inserts, 5000):
        rows = _plain_rows(list(part))
        if not postgres:
            returned = session.connection().execute(
                insert(exposure_table).returning(
                    exposure_table.c.id,
                    exposure_table.c.asset_id,
                    exposure_table.c.vulnerability_id,
                ),
                rows,
            )
            created.extend((row[0], by_pair[(row[1], row[2])]) for row in returned)
            continue
        # On PostgreSQL a plain executemany (psycopg's pipelined fast path), then the new ids
        # read back by their (asset, vulnerability) pairs, unique in the table: INSERT …
        # RETURNING over thousands of rows makes the driver parse one huge statement per page,
        # several times slower.
        session.connection().execute(insert(exposure_table), rows)
        pairs = {(r["asset_id"], r["vulnerability_id"]) for r in part}
        returned = session.connection().execute(
            select(
                exposure_table.c.id, exposure_table.c.asset_id, exposure_table.c.vulnerability_id
            ).where(
                exposure_table.c.vulnerability_id.in_(sorted({v for _, v in pairs})),
                exposure_table.c.asset_id.in_(sorted({a for a, _ in pairs})),
            )
        )
        created.extend(
            (row[0], by_pair[(row[1], row[2])]) for row in returned if (row[1], row[2]) in pairs
        )
    result.created = len(inserts)
    if updates:
        stmt = (
            update(exposure_table)
            .where(exposure_table.c.id == _bind("b_id"))
            .values({name: _bind(name) for name in updates[0] if name not in ("b_id", "b_asset")})
        )
        session.connection().execute(stmt, _plain_rows(updates))
    if updates:
        # The register reads measures alone: tell each whether its exposure still stands.
        standing = (
            update(measure_table)
            .where(measure_table.c.exposure_id == _bind("b_id"))
            .values(standing=_bind("b_standing"))
        )
        session.connection().execute(
            standing,
            [
                {"b_id": r["b_id"], "b_standing": r["state"] == ExposureState.ACTIVE}
                for r in updates
            ],
        )
    if measure_updates:
        stmt = (
            update(measure_table)
            .where(
                measure_table.c.exposure_id == _bind("b_exposure"),
                measure_table.c.state.in_(
                    [MeasureState.OPEN.value, MeasureState.IN_PROGRESS.value]
                ),
            )
            .values(
                priority=_bind("priority"), due_on=_bind("due_on"), due_basis=_bind("due_basis")
            )
        )
        session.connection().execute(stmt, measure_updates)
    result.measures_created = _measures_for_new(session, created, facts, rules, now)
    # An exposure that stands again (no longer suppressed or gone) gets its measure too.
    revived = {r["b_asset"] for r in updates if r["state"] == ExposureState.ACTIVE}
    if revived:
        scope = revived if len(revived) <= 20 * CHUNK else None
        result.measures_created += _create_measures(session, scope, facts, rules, now)


def _measure_row(
    exposure_id: int,
    org_id: int,
    cert_id: int,
    decision: str,
    first_seen: date,
    kev_due: date | None,
    rules: ssvc.Policy,
    now: datetime,
) -> dict[str, Any]:
    due, basis = rules.due_on(decision=decision, first_seen=first_seen, kev_due_date=kev_due)
    return {
        "owner_cert_id": cert_id,
        "organisation_id": org_id,
        "exposure_id": exposure_id,
        "kind": MeasureKind(rules.measure_kind.get(decision, "patch")).value,
        "priority": decision,
        "state": MeasureState.OPEN.value,
        "standing": True,
        "due_on": due,
        "due_basis": basis,
        "note": None,
        "accepted_reason": None,
        "accepted_until": None,
        "created_at": now,
        "updated_at": now,
    }


def _measures_for_new(
    session: Session,
    created: list[tuple[int, dict[str, Any]]],
    facts: Mapping[int, _VulnFacts],
    rules: ssvc.Policy,
    now: datetime,
) -> int:
    """One open measure per new active exposure, from the rows just inserted."""
    rows = [
        _measure_row(
            exposure_id,
            made["organisation_id"],
            made["owner_cert_id"],
            made["deployer_decision"],
            now.date(),
            facts[made["vulnerability_id"]].kev_due_date,
            rules,
            now,
        )
        for exposure_id, made in created
        if made["state"] == ExposureState.ACTIVE
    ]
    for chunk in _chunks(rows, 5000):
        session.connection().execute(insert(_MEASURE_TABLE), list(chunk))
    return len(rows)


def _bind(name: str) -> Any:
    return bindparam(name)


def _plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.value if hasattr(v, "value") else v) for k, v in r.items()} for r in rows]


def _create_measures(
    session: Session,
    asset_ids: Collection[int] | None,
    facts: Mapping[int, _VulnFacts],
    rules: ssvc.Policy,
    now: datetime,
) -> int:
    """One open measure for each active exposure of these assets that has none yet, its kind
    and due date from the policy (a suppressed exposure needs no measure until it stands)."""
    rows: list[dict[str, Any]] = []
    parts: Iterable[Sequence[int] | None] = (
        [None] if asset_ids is None else _chunks(sorted(asset_ids))
    )
    for part in parts:
        found = _core(session).execute(
            select(
                Exposure.id,
                Exposure.vulnerability_id,
                Exposure.organisation_id,
                Exposure.owner_cert_id,
                Exposure.deployer_decision,
                Exposure.first_seen,
            )
            .outerjoin(Measure, Measure.exposure_id == Exposure.id)
            .where(
                Exposure.asset_id.in_(part) if part is not None else true(),
                Exposure.state == ExposureState.ACTIVE,
                Measure.id.is_(None),
            )
        )
        for exp_id, vid, org_id, cert_id, decision, first_seen in found:
            kev_due = facts[vid].kev_due_date if vid in facts else None
            rows.append(
                _measure_row(
                    exp_id, org_id, cert_id, decision, first_seen.date(), kev_due, rules, now
                )
            )
    for chunk in _chunks(rows, 5000):
        session.connection().execute(insert(_MEASURE_TABLE), list(chunk))
    return len(rows)
