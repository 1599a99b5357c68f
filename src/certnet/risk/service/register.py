"""The risk register: open protective measures by priority and how many are overdue, rolled
up per organisation, sector, province and nation, and their trend from daily snapshots.

What each principal sees is what the access policy lets them read: the National CERT the
nation, a sectoral CERT its sector's organisations, a constituent itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Organisation
from certnet.core import access, audit
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid
from certnet.risk.models import Measure, MeasureState, RiskSnapshot

Level = Literal["nation", "sector", "province", "organisation"]
PRIORITIES = ("immediate", "out_of_cycle", "scheduled", "defer")
_OPEN = (MeasureState.OPEN, MeasureState.IN_PROGRESS)


@dataclass
class RegisterRow:
    """Open measures of one group (a sector, a province, an organisation, the nation)."""

    key: str
    label: str
    by_priority: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRIORITIES, 0))
    overdue: int = 0
    organisations: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            **self.by_priority,
            "total": self.total,
            "overdue": self.overdue,
            "organisations": self.organisations,
        }


@dataclass
class Register:
    """The register at one level: the total and one row per group, biggest first."""

    level: str
    on: date
    total: RegisterRow
    rows: list[RegisterRow]

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "on": self.on.isoformat(),
            "total": self.total.as_dict(),
            "rows": [r.as_dict() for r in self.rows],
        }


def register(
    *,
    session: Session,
    principal: Principal,
    level: Level = "sector",
    on: date,
    sector: str | None = None,
    province: str | None = None,
) -> Register:
    """Open measures the principal may see, grouped by ``level``.

    One aggregate over the measures alone (by organisation and priority, on a covering
    index), then rolled up in memory with each organisation's sector and province: the
    nation's register stays fast at hundreds of thousands of measures."""
    if level not in ("nation", "sector", "province", "organisation"):
        raise Invalid.on("level", "one of nation, sector, province, organisation")
    overdue = func.sum(case((and_(Measure.due_on.is_not(None), Measure.due_on < on), 1), else_=0))
    stmt = (
        access.scoped(select(Measure.id), principal)
        .with_only_columns(
            Measure.organisation_id,
            *(func.sum(case((Measure.priority == p, 1), else_=0)) for p in PRIORITIES),
            overdue,
        )
        .where(Measure.state.in_(_OPEN), Measure.standing.is_(True))
        .group_by(Measure.organisation_id)
    )
    # Plain rows through the connection: thousands of groups, no ORM bookkeeping needed.
    counts = session.connection().execute(stmt).all()
    orgs = _organisation_facts(session, principal, {row[0] for row in counts}, level)
    rows: dict[str, RegisterRow] = {}
    members: dict[str, set[int]] = {}
    total = RegisterRow("all", "all")
    for org_id, *per_priority, late in counts:
        facts = orgs.get(org_id)
        if facts is None:
            continue
        name, org_sector, org_province = facts
        if (sector and org_sector != sector) or (province and org_province != province):
            continue
        if level == "organisation":
            key, label = str(org_id), name
        elif level == "sector":
            key = label = org_sector
        elif level == "province":
            key = label = org_province or "(none)"
        else:
            key = label = "nation"
        row = rows.get(key)
        if row is None:
            row = rows[key] = RegisterRow(key, label)
        for target in (row, total):
            for priority, count in zip(PRIORITIES, per_priority, strict=True):
                target.by_priority[priority] += int(count or 0)
            target.overdue += int(late or 0)
        members.setdefault(key, set()).add(org_id)
    for key, row in rows.items():
        row.organisations = len(members[key])
    total.organisations = len(set().union(*members.values())) if members else 0
    ordered = sorted(rows.values(), key=lambda r: (-r.by_priority["immediate"], -r.total, r.key))
    return Register(level, on, total, ordered)


def _organisation_facts(
    session: Session, principal: Principal, ids: set[int], level: str
) -> dict[int, tuple[str, str, str | None]]:
    """Name, sector and province of the organisations the principal may see, among ``ids``."""
    if not ids:
        return {}
    # Names only where they are shown (one row per organisation).
    name = Organisation.name if level == "organisation" else literal("")
    stmt = access.scoped(select(Organisation.id), principal).with_only_columns(
        Organisation.id, name, Organisation.sector, Organisation.province
    )
    if len(ids) <= 900:
        stmt = stmt.where(Organisation.id.in_(sorted(ids)))
    return {
        org_id: (org_name, sector, province)
        for org_id, org_name, sector, province in session.connection().execute(stmt)
        if org_id in ids
    }


def take_snapshot(*, session: Session, principal: Principal, on: date) -> int:
    """Record every organisation's open measures by priority and overdue count for ``on``
    (replacing that day's earlier snapshot); returns how many organisations had any.
    A job run by certnet itself, daily."""
    if not principal.all_tenancy:
        raise Forbidden("snapshots are taken by certnet itself or the National CERT")
    overdue = func.sum(case((and_(Measure.due_on.is_not(None), Measure.due_on < on), 1), else_=0))
    per_priority = [
        func.sum(case((Measure.priority == p, 1), else_=0)).label(p) for p in PRIORITIES
    ]
    stmt = (
        select(
            Organisation.id,
            Organisation.cert_id,
            Organisation.sector,
            Organisation.province,
            *per_priority,
            overdue,
        )
        .join(Measure, Measure.organisation_id == Organisation.id)
        .where(Measure.standing.is_(True), Measure.state.in_(_OPEN))
        .group_by(Organisation.id, Organisation.cert_id, Organisation.sector, Organisation.province)
    )
    rows = [
        {
            "day": on,
            "organisation_id": org_id,
            "owner_cert_id": cert_id,
            "sector": sector,
            "province": province,
            "immediate": int(imm or 0),
            "out_of_cycle": int(ooc or 0),
            "scheduled": int(sch or 0),
            "defer": int(dfr or 0),
            "overdue": int(late or 0),
        }
        for org_id, cert_id, sector, province, imm, ooc, sch, dfr, late in session.execute(stmt)
    ]
    session.execute(delete(RiskSnapshot).where(RiskSnapshot.day == on))
    for start in range(0, len(rows), 5000):
        session.execute(insert(RiskSnapshot), rows[start : start + 5000])
    audit.record(
        session=session,
        principal=principal,
        action="risk.snapshot",
        object_type="risk_snapshot",
        object_id=on.isoformat(),
        after={"day": on.isoformat(), "organisations": len(rows)},
    )
    return len(rows)


@dataclass(frozen=True)
class TrendPoint:
    """One day of the trend."""

    day: date
    immediate: int
    out_of_cycle: int
    scheduled: int
    defer: int
    overdue: int

    @property
    def total(self) -> int:
        return self.immediate + self.out_of_cycle + self.scheduled + self.defer


def trend(
    *,
    session: Session,
    principal: Principal,
    until: date,
    days: int = 30,
    sector: str | None = None,
    organisation_id: int | None = None,
) -> list[TrendPoint]:
    """Daily sums of the snapshots the principal may see over the last ``days`` days."""
    since = until - timedelta(days=days - 1)
    stmt = (
        access.scoped(select(RiskSnapshot.id), principal)
        .with_only_columns(
            RiskSnapshot.day,
            func.sum(RiskSnapshot.immediate),
            func.sum(RiskSnapshot.out_of_cycle),
            func.sum(RiskSnapshot.scheduled),
            func.sum(RiskSnapshot.defer),
            func.sum(RiskSnapshot.overdue),
        )
        .select_from(RiskSnapshot)
        .where(RiskSnapshot.day >= since, RiskSnapshot.day <= until)
        .group_by(RiskSnapshot.day)
        .order_by(RiskSnapshot.day)
    )
    if sector:
        stmt = stmt.where(RiskSnapshot.sector == sector)
    if organisation_id is not None:
        stmt = stmt.where(RiskSnapshot.organisation_id == organisation_id)
    return [
        TrendPoint(day, int(a or 0), int(b or 0), int(c or 0), int(d or 0), int(e or 0))
        for day, a, b, c, d, e in session.execute(stmt)
    ]


def snapshot_job_day(now: datetime) -> date:
    """The day a snapshot taken at ``now`` records."""
    return now.date()
