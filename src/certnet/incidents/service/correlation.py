"""Observables and correlation across constituencies.

The index is ``incident_observable`` itself: one row per (observable, incident), probed by
``(value_hash, incident_id)``. It grows linearly with the observables. Links are made when an
incident gains an observable another incident already has, up to :data:`MAX_LINKS_PER_VALUE`
per value: an indicator shared by hundreds of incidents (a public resolver, a cloud address)
says nothing about any two of them, and linking all pairs is what made MISP's correlation
table grow with the square of its attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import FieldError, Forbidden, Invalid
from certnet.incidents.models import (
    Incident,
    IncidentLink,
    IncidentObservable,
    LinkKind,
    ObservableKind,
)
from certnet.incidents.observables import Normalised, normalise
from certnet.incidents.schemas import (
    CorrelatedSide,
    CorrelationHit,
    CorrelationRead,
    ObservableIn,
)
from certnet.incidents.service import common

MAX_LINKS_PER_VALUE = 50


def validate(items: Sequence[ObservableIn], field: str = "observables") -> list[Normalised]:
    """Normalise every observable; Invalid names each bad one (``observables[3].value``)."""
    found: list[Normalised] = []
    errors: list[FieldError] = []
    for position, item in enumerate(items):
        try:
            found.append(normalise(item.value, item.kind))
        except ValueError as exc:
            errors.append(FieldError(f"{field}[{position}].value", str(exc)))
    if errors:
        raise Invalid(detail="malformed observables", errors=errors)
    unique: dict[int, Normalised] = {}
    for entry in found:
        unique.setdefault(entry.value_hash, entry)
    return list(unique.values())


def nearest_common_cert(session: Session, first: int, second: int) -> int | None:
    """The nearest CERT at or above both CERTs on the reporting line."""
    line = common.tree(session)
    above_second = set(line.chain(second))
    return next((c for c in line.chain(first) if c in above_second), None)


def store(
    session: Session,
    principal: Principal,
    incident: Incident,
    items: Sequence[Normalised],
    at: datetime,
) -> list[IncidentObservable]:
    """Add observables to the incident (ignoring ones it has) and link other incidents that
    carry the same values."""
    have = set(
        session.scalars(
            select(IncidentObservable.value_hash).where(
                IncidentObservable.incident_id == incident.id
            )
        )
    )
    added = []
    for item in items:
        if item.value_hash in have:
            continue
        have.add(item.value_hash)
        row = IncidentObservable(
            incident_id=incident.id,
            kind=item.kind,
            value=item.value,
            value_hash=item.value_hash,
            created_at=at,
        )
        session.add(row)
        added.append(row)
    session.flush()
    for row in added:
        _correlate(session, incident, row, at)
    return added


def _correlate(session: Session, incident: Incident, row: IncidentObservable, at: datetime) -> None:
    others = session.execute(
        select(Incident.id, Incident.owner_cert_id, Incident.handling_cert_id)
        .join(IncidentObservable, IncidentObservable.incident_id == Incident.id)
        .where(
            IncidentObservable.value_hash == row.value_hash,
            IncidentObservable.value == row.value,
            IncidentObservable.incident_id != incident.id,
        )
        .order_by(Incident.id.desc())
        .limit(MAX_LINKS_PER_VALUE + 1)
    ).all()
    if not others or len(others) > MAX_LINKS_PER_VALUE:
        return
    for other_id, other_owner, _ in others:
        low, high = sorted((incident.id, other_id))
        exists = session.scalar(
            select(IncidentLink.id).where(
                IncidentLink.incident_id == low,
                IncidentLink.other_incident_id == high,
                IncidentLink.kind == LinkKind.CORRELATED,
            )
        )
        if exists is not None:
            continue
        ancestor = nearest_common_cert(session, incident.owner_cert_id, other_owner)
        if ancestor is None:
            continue
        link = IncidentLink(
            owner_cert_id=ancestor,
            incident_id=low,
            other_incident_id=high,
            kind=LinkKind.CORRELATED,
            observable_kind=row.kind.value,
            value_hash=row.value_hash,
            reason=f"shared {row.kind.value} observable",
            created_by="certnet",
            created_at=at,
        )
        session.add(link)
        session.flush()
        audit.record(
            session=session,
            principal=common.SYSTEM,
            action="incident_link.correlate",
            object_type="incident_link",
            object_id=link.id,
            after={"incidents": [low, high], "observable_kind": row.kind.value},
            owner_cert_id=ancestor,
        )
        for side in (incident.id, other_id):
            target = session.get(Incident, side)
            if target is None:
                continue
            common.note(
                session,
                common.SYSTEM,
                target,
                kind="correlated",
                summary=f"Shares a {row.kind.value} observable with another incident",
                data={"link_id": link.id},
                internal=True,
                at=at,
                audited=False,
            )
        if ancestor not in (incident.handling_cert_id, incident.owner_cert_id):
            common.tell_duty(
                session,
                incident,
                ancestor,
                f"correlation:{link.id}",
                "Correlated incidents in your constituency",
                [
                    "Two incidents at CERTs below you share an observable.",
                    "See the correlations page for what their markings let you see.",
                ],
            )


def observables(
    *, session: Session, principal: Principal, incident_id: int
) -> list[IncidentObservable]:
    """The incident's observables."""
    incident = common.fetch(session, principal, incident_id)
    return list(
        session.scalars(
            select(IncidentObservable)
            .where(IncidentObservable.incident_id == incident.id)
            .order_by(IncidentObservable.id)
        )
    )


def add_observables(
    *,
    session: Session,
    principal: Principal,
    incident_id: int,
    items: list[ObservableIn],
    now: datetime | None = None,
) -> list[IncidentObservable]:
    """Add observables (normalised, validated, duplicates ignored) and link incidents that
    share them. The organisation's users and the handling CERTs' staff may."""
    incident = common.fetch(session, principal, incident_id)
    if principal.role is not None and principal.role.is_constituent:
        if principal.organisation_id != incident.organisation_id or "write" not in principal.scopes:
            raise Forbidden(f"you may not change incident {incident_id}")
    else:
        common.fetch_for_handling(session, principal, incident_id)
    normalised = validate(items)
    at = common.now_or(now)
    added = store(session, principal, incident, normalised, at)
    if added:
        common.note(
            session,
            principal,
            incident,
            kind="observables_added",
            summary=f"{len(added)} observable(s) added",
            data={"values": [f"{o.kind.value}:{o.value}" for o in added]},
            at=at,
        )
    return added


def lookup(
    *,
    session: Session,
    principal: Principal,
    value: str,
    kind: str | None = None,
    limit: int = 100,
) -> list[CorrelationHit]:
    """Incidents the principal may see that carry this observable (one index probe)."""
    known = {k.value for k in ObservableKind}
    if kind and kind not in known:
        raise Invalid.on("kind", f"expected one of {', '.join(sorted(known))}")
    try:
        item = normalise(value, ObservableKind(kind) if kind else None)
    except ValueError as exc:
        raise Invalid.on("value", str(exc)) from exc
    stmt = access.scoped(
        select(Incident)
        .join(IncidentObservable, IncidentObservable.incident_id == Incident.id)
        .where(
            IncidentObservable.value_hash == item.value_hash,
            IncidentObservable.value == item.value,
        ),
        principal,
    )
    rows = session.scalars(stmt.order_by(Incident.id.desc()).limit(limit))
    return [
        CorrelationHit(
            incident_id=i.id,
            reference=i.reference,
            title=i.title,
            handling_cert_id=i.handling_cert_id,
            kind=item.kind,
            value=item.value,
        )
        for i in rows
    ]


def visible_ids(session: Session, principal: Principal, ids: Sequence[int]) -> set[int]:
    """Which of these incidents the principal may see."""
    if not ids:
        return set()
    return set(
        session.scalars(
            access.scoped(select(Incident.id).where(Incident.id.in_(sorted(set(ids)))), principal)
        )
    )


def side(incident: Incident, visible: bool) -> CorrelatedSide:
    if not visible:
        return CorrelatedSide(
            incident_id=incident.id, cert_id=incident.owner_cert_id, visible=False
        )
    return CorrelatedSide(
        incident_id=incident.id,
        cert_id=incident.owner_cert_id,
        visible=True,
        reference=incident.reference,
        title=incident.title,
        sector=incident.sector,
    )


def correlations(
    *, session: Session, principal: Principal, limit: int = 100
) -> list[CorrelationRead]:
    """Correlations the principal's CERT is told of (it is the nearest CERT above both
    incidents, or above that), each side shown only as far as its TLP allows."""
    links = list(
        session.scalars(
            access.scoped(
                select(IncidentLink).where(IncidentLink.kind == LinkKind.CORRELATED), principal
            )
            .order_by(IncidentLink.id.desc())
            .limit(limit)
        )
    )
    ids = [i for link in links for i in (link.incident_id, link.other_incident_id)]
    visible = visible_ids(session, principal, ids)
    incidents = (
        {
            i.id: i
            for i in session.scalars(select(Incident).where(Incident.id.in_(sorted(set(ids)))))
        }
        if ids
        else {}
    )
    result = []
    for link in links:
        sides = [
            side(incidents[i], i in visible)
            for i in (link.incident_id, link.other_incident_id)
            if i in incidents
        ]
        result.append(
            CorrelationRead(
                id=link.id,
                owner_cert_id=link.owner_cert_id,
                observable_kind=link.observable_kind,
                created_at=link.created_at,
                incidents=sides,
            )
        )
    return result


def count_for_value(session: Session, value_hash: int) -> int:
    """How many incidents carry a value (a diagnostic for the benchmark and the docs)."""
    return int(
        session.scalar(select(func.count()).where(IncidentObservable.value_hash == value_hash)) or 0
    )
