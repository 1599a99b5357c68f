"""How well the loop closes: remediation rate and time to fix per organisation and per
sector, and open findings over time — computed from the findings the principal may see."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency.lookup import describe_owners
from certnet.core import access
from certnet.core.access import Principal
from certnet.findings.models import UNRESOLVED, Finding, FindingState

#: Days shown on the open-findings-over-time plot.
DAYS = 30


@dataclass
class Remediation:
    """One row of the remediation table: an organisation or a sector."""

    key: str
    label: str
    total: int = 0
    unresolved: int = 0
    claimed_fixed: int = 0
    verified: int = 0
    hours_to_fix: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Share of findings verified fixed, 0 to 1."""
        return self.verified / self.total if self.total else 0.0

    @property
    def median_hours(self) -> float | None:
        """Median time from first report to verified fix, in hours."""
        return statistics.median(self.hours_to_fix) if self.hours_to_fix else None


@dataclass
class RemediationReport:
    """Per organisation, per sector, and open findings at the end of each day."""

    organisations: list[Remediation]
    sectors: list[Remediation]
    open_by_day: list[tuple[date, int]]
    total: Remediation


def report(
    *, session: Session, principal: Principal, now: datetime, days: int = DAYS
) -> RemediationReport:
    """The remediation figures of what the principal may see."""
    stmt = access.scoped(select(Finding), principal).with_only_columns(
        Finding.organisation_id,
        Finding.sector,
        Finding.state,
        Finding.opened_at,
        Finding.verified_at,
        Finding.reopened_at,
    )
    by_org: dict[int, Remediation] = {}
    by_sector: dict[str, Remediation] = {}
    total = Remediation("all", "All")
    spans: list[tuple[datetime, datetime | None]] = []
    for org_id, sector, state, opened_at, verified_at, reopened_at in session.execute(stmt):
        sector_name = sector or "unknown"
        org_row = by_org.setdefault(org_id, Remediation(str(org_id), f"Organisation #{org_id}"))
        sector_row = by_sector.setdefault(sector_name, Remediation(sector_name, sector_name))
        for row in (org_row, sector_row, total):
            row.total += 1
            if state in UNRESOLVED:
                row.unresolved += 1
            elif state is FindingState.FIXED:
                row.claimed_fixed += 1
            elif state is FindingState.VERIFIED:
                row.verified += 1
                if verified_at is not None:
                    start = reopened_at if reopened_at and reopened_at < verified_at else opened_at
                    row.hours_to_fix.append((verified_at - start).total_seconds() / 3600)
        spans.extend(_open_spans(state, opened_at, verified_at, reopened_at))
    names = describe_owners(session=session, principal=principal, organisation_ids=by_org)
    for org_id, row in by_org.items():
        if org_id in names:
            row.label = names[org_id].organisation
    return RemediationReport(
        organisations=sorted(by_org.values(), key=lambda r: (-r.unresolved, r.label)),
        sectors=sorted(by_sector.values(), key=lambda r: r.label),
        open_by_day=_open_by_day(spans, now.date(), days),
        total=total,
    )


def _open_spans(
    state: FindingState,
    opened_at: datetime,
    verified_at: datetime | None,
    reopened_at: datetime | None,
) -> list[tuple[datetime, datetime | None]]:
    """When a finding was open: from its opening to its verification, and again from a
    reopening to a later verification (or until now)."""
    if reopened_at is None or verified_at is None:
        return [(opened_at, verified_at if state is FindingState.VERIFIED else None)]
    if verified_at > reopened_at:
        # Verified again after the reopening: its earlier span ended at an earlier verification
        # that is no longer stored; count it as open throughout, which over- not under-states.
        return [(opened_at, verified_at)]
    return [(opened_at, verified_at), (reopened_at, None)]


def _open_by_day(
    spans: list[tuple[datetime, datetime | None]], today: date, days: int
) -> list[tuple[date, int]]:
    first = today - timedelta(days=days - 1)
    delta: dict[date, int] = defaultdict(int)
    before = 0
    for start, end in spans:
        start_day = start.date()
        if start_day < first:
            if end is None or end.date() >= first:
                before += 1
                if end is not None:
                    delta[end.date()] -= 1
            continue
        delta[start_day] += 1
        if end is not None:
            delta[end.date()] -= 1
    counts: list[tuple[date, int]] = []
    running = before
    for offset in range(days):
        day = first + timedelta(days=offset)
        running += delta.get(day, 0)
        counts.append((day, running))
    return counts
