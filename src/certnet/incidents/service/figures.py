"""Metrics per CERT and per sector: handling times and clocks met.

Computed over the incidents the principal may see, in the database where it counts (statuses,
stages) and in Python for medians (portable across engines; a CERT's period is thousands of
rows, not millions)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from certnet.core import access
from certnet.core.access import Principal
from certnet.incidents.models import Incident, IncidentStage
from certnet.incidents.schemas import DailyCount, Metrics, MetricsGroup
from certnet.incidents.service import common


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def metrics(
    *,
    session: Session,
    principal: Principal,
    group_by: Literal["cert", "sector"] | None = None,
    cert_id: int | None = None,
    sector: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> Metrics:
    """Median hours to acknowledge, contain and resolve (from the report); stages met on
    time, late, overdue — over the incidents the principal may see, optionally per handling
    CERT or per sector."""
    at = common.now_or(now)
    visible = access.scoped(select(Incident.id), principal)
    stmt = select(
        Incident.id,
        Incident.handling_cert_id,
        Incident.sector,
        Incident.status,
        Incident.reported_at,
        Incident.acknowledged_at,
        Incident.contained_at,
        Incident.resolved_at,
    ).where(Incident.id.in_(visible.scalar_subquery()))
    if cert_id is not None:
        stmt = stmt.where(Incident.handling_cert_id == cert_id)
    if sector:
        stmt = stmt.where(Incident.sector == sector)
    if since is not None:
        stmt = stmt.where(Incident.reported_at >= since)
    if until is not None:
        stmt = stmt.where(Incident.reported_at < until)
    rows = session.execute(stmt).all()
    ids = [r.id for r in rows]
    stage_rows: list[tuple[int, datetime, datetime | None, bool]] = []
    for offset in range(0, len(ids), 1000):
        chunk = ids[offset : offset + 1000]
        stage_rows.extend(
            (s.incident_id, s.due_at, s.submitted_at, s.late)
            for s in session.execute(
                select(
                    IncidentStage.incident_id,
                    IncidentStage.due_at,
                    IncidentStage.submitted_at,
                    IncidentStage.late,
                ).where(IncidentStage.incident_id.in_(chunk))
            )
        )
    stage_tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for incident_id, due_at, submitted_at, was_late in stage_rows:
        tally = stage_tally[incident_id]
        if submitted_at is not None:
            tally[1 if was_late else 0] += 1
        elif due_at < at:
            tally[2] += 1
        tally[3] += 1 if submitted_at is not None or due_at < at else 0

    def figures(
        subset: list[Any],
    ) -> tuple[float | None, float | None, float | None, int, int, int, int]:
        ack = _median(common.hours_between(r.reported_at, r.acknowledged_at) for r in subset)
        con = _median(common.hours_between(r.reported_at, r.contained_at) for r in subset)
        res = _median(common.hours_between(r.reported_at, r.resolved_at) for r in subset)
        on_time = sum(stage_tally[r.id][0] for r in subset)
        late = sum(stage_tally[r.id][1] for r in subset)
        overdue = sum(stage_tally[r.id][2] for r in subset)
        due = sum(stage_tally[r.id][3] for r in subset)
        return ack, con, res, on_time, late, overdue, due

    ack, con, res, on_time, late, overdue, due = figures(list(rows))
    by_status: dict[str, int] = defaultdict(int)
    for r in rows:
        by_status[r.status.value] += 1
    groups: list[MetricsGroup] = []
    if group_by is not None:
        buckets: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            key = str(r.handling_cert_id) if group_by == "cert" else r.sector
            buckets[key].append(r)
        for key in sorted(buckets):
            g = figures(buckets[key])
            groups.append(
                MetricsGroup(
                    key=key,
                    incidents=len(buckets[key]),
                    median_hours_to_acknowledge=g[0],
                    median_hours_to_contain=g[1],
                    median_hours_to_resolve=g[2],
                    stages_on_time=g[3],
                    stages_late=g[4],
                )
            )
    return Metrics(
        incidents=len(rows),
        by_status=dict(by_status),
        median_hours_to_acknowledge=ack,
        median_hours_to_contain=con,
        median_hours_to_resolve=res,
        stages_due=due,
        stages_on_time=on_time,
        stages_late=late,
        stages_overdue=overdue,
        on_time_ratio=round(on_time / due, 3) if due else None,
        groups=groups,
    )


def daily_counts(
    *,
    session: Session,
    principal: Principal,
    by: Literal["rsit_class", "sector"] = "rsit_class",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[DailyCount]:
    """Incidents reported per day and per RSIT class or sector (the dashboard's plot)."""
    key = Incident.rsit_class if by == "rsit_class" else Incident.sector
    # SQLite keeps timestamps as ISO text: its day is the first ten characters.
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    day = (
        func.substr(Incident.reported_at, 1, 10) if is_sqlite else cast(Incident.reported_at, Date)
    )
    stmt = access.scoped(select(Incident.id), principal)
    if since is not None:
        stmt = stmt.where(Incident.reported_at >= since)
    if until is not None:
        stmt = stmt.where(Incident.reported_at < until)
    visible = stmt.subquery()
    rows = session.execute(
        select(day.label("day"), key.label("key"), func.count())
        .join(visible, visible.c.id == Incident.id)
        .group_by(day, key)
        .order_by(day, key)
    )
    return [DailyCount(day=str(d), key=str(k), count=int(n)) for d, k, n in rows]
