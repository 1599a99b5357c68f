"""The CERT queue: one incident, the filtered list, and its counts.

The list and the counts use the ``(handling_cert_id | owner_cert_id, status, id)`` indexes:
the policy's tenancy clause is an ``IN`` over the principal's CERTs, the filters are
equalities, and the order is the id (newest first) — keyset pagination, never OFFSET."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from certnet.core import access
from certnet.core.access import Principal
from certnet.core.errors import Invalid
from certnet.core.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from certnet.core.tlp import Tlp
from certnet.incidents.models import Incident, IncidentStatus, Severity
from certnet.incidents.schemas import IncidentFilter, QueueCounts
from certnet.incidents.service import common, tally
from certnet.incidents.service.clocks import DUE_SOON

DEADLINE_STATES = ("overdue", "due_soon", "on_track", "none")
Order = Literal["newest", "oldest", "due", "severity"]

#: Incidents owing nothing sort after every deadline in the "due" order.
_NEVER = datetime(9999, 1, 1, tzinfo=UTC)
_SEVERITY_RANK = case(*((Incident.severity == s, s.rank) for s in Severity), else_=-1)


def get(*, session: Session, principal: Principal, incident_id: int) -> Incident:
    """One incident, or NotFound if it does not exist or the principal may not see it."""
    return common.fetch(session, principal, incident_id)


def _deadline_clause(state: str, now: datetime) -> Any:
    soon = now + DUE_SOON
    if state == "overdue":
        return Incident.next_due_at < now
    if state == "due_soon":
        return Incident.next_due_at.between(now, soon)
    if state == "on_track":
        return Incident.next_due_at > soon
    if state == "none":
        return Incident.next_due_at.is_(None)
    raise Invalid.on("deadline", f"expected one of {', '.join(DEADLINE_STATES)}")


def _filtered(
    principal: Principal,
    filters: IncidentFilter,
    now: datetime,
    *,
    with_status: bool = True,
    with_deadline: bool = True,
) -> Select[Incident]:
    # The queue is the principal's own work: what its tenancy covers (its CERTs' incidents,
    # or its organisation's), as TLP allows. A GREEN incident elsewhere can be read, but it
    # is not in this queue.
    stmt = access.scoped(select(Incident), principal).where(
        access.tenancy_clause(Incident, principal)
    )
    if with_status and filters.status:
        stmt = stmt.where(Incident.status.in_(filters.status))
    if filters.open_only:
        stmt = stmt.where(Incident.status.in_([s for s in IncidentStatus if s.is_open]))
    if filters.severity:
        stmt = stmt.where(Incident.severity.in_(filters.severity))
    if filters.tlp:
        stmt = stmt.where(Incident.tlp.in_([Tlp(t) for t in filters.tlp]))
    if filters.rsit_class:
        stmt = stmt.where(Incident.rsit_class == filters.rsit_class)
    if filters.sector:
        stmt = stmt.where(Incident.sector == filters.sector)
    if filters.organisation_id is not None:
        stmt = stmt.where(Incident.organisation_id == filters.organisation_id)
    if filters.handling_cert_id is not None:
        stmt = stmt.where(Incident.handling_cert_id == filters.handling_cert_id)
    if filters.assignee_user_id is not None:
        stmt = stmt.where(Incident.assignee_user_id == filters.assignee_user_id)
    if filters.q:
        stmt = stmt.where(func.lower(Incident.title).contains(filters.q.lower(), autoescape=True))
    if with_deadline and filters.deadline:
        stmt = stmt.where(_deadline_clause(filters.deadline, now))
    return stmt


def list_incidents(
    *,
    session: Session,
    principal: Principal,
    filters: IncidentFilter | None = None,
    now: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
    order: Order = "newest",
) -> Page[Incident]:
    """Incidents the principal may see, filtered (a constituent's user sees their
    organisation's incidents: the portal's list), in ``order``: newest or oldest first, by
    the next deadline (nothing owed last), or by severity (worst first, then newest).
    Keyset pagination: the cursor holds the last row's sort keys."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid.on("limit", f"must be between 1 and {MAX_LIMIT}")
    stmt = _filtered(principal, filters or IncidentFilter(), common.now_or(now))
    keys: list[Any]
    if order == "newest":
        keys, descending = [Incident.id], True
    elif order == "oldest":
        keys, descending = [Incident.id], False
    elif order == "due":
        keys, descending = [func.coalesce(Incident.next_due_at, _NEVER), Incident.id], False
    elif order == "severity":
        keys, descending = [_SEVERITY_RANK, Incident.id], True
    else:
        raise Invalid.on("order", "expected newest, oldest, due or severity")
    if cursor:
        values = decode_cursor(cursor, len(keys))
        if order == "due":
            try:
                values[0] = datetime.fromisoformat(str(values[0]))
            except ValueError:
                raise Invalid.on("cursor", "not a cursor this API issued") from None
        position, after = tuple_(*keys), tuple_(*values)
        stmt = stmt.where(position < after if descending else position > after)
    ordering = [k.desc() for k in keys] if descending else keys
    branches = _branches(principal)
    _no_jit(session)
    if len(branches) == 1:
        rows = list(session.scalars(stmt.order_by(*ordering).limit(limit + 1)))
    else:
        # Each side of the tenancy walks its own index in order; the page is the best of
        # both (an OR over two columns would read every row of the CERT's queue instead).
        owned, elsewhere = branches
        assert owned is not None
        assert elsewhere is not None
        firsts = select(
            stmt.where(owned)
            .with_only_columns(Incident.id)
            .order_by(*ordering)
            .limit(limit + 1)
            .subquery()
            .c.id
        )
        # Incidents handled away from their owner are few (a partial index holds them): all
        # of them, unordered — an ordered scan with a limit tempts the planner into walking
        # the whole table in id order for a handful of rows.
        others = stmt.where(elsewhere).with_only_columns(Incident.id)
        chosen = union_all(firsts, others).subquery()
        rows = list(
            session.scalars(
                select(Incident)
                .where(Incident.id.in_(select(chosen.c.id)))
                .order_by(*ordering)
                .limit(limit + 1)
            )
        )
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    if order == "due":
        head: Any = (last.next_due_at or _NEVER).isoformat()
    elif order == "severity":
        head = last.severity.rank
    else:
        return Page(rows[:limit], encode_cursor([last.id]))
    return Page(rows[:limit], encode_cursor([head, last.id]))


def counts(
    *,
    session: Session,
    principal: Principal,
    filters: IncidentFilter | None = None,
    now: datetime | None = None,
) -> QueueCounts:
    """Counts of the filtered queue per status and per deadline state (overdue, due_soon,
    on_track, none); the status and deadline filters themselves are left out of them, so
    that the counts show where else the queue could go. Finished work comes from the running
    tally where the filters allow (``service/tally.py``), the rest is counted live."""
    at = common.now_or(now)
    chosen = filters or IncidentFilter()
    soon = at + DUE_SOON
    by_status = {s.value: 0 for s in IncidentStatus}
    by_deadline = dict.fromkeys(DEADLINE_STATES, 0)
    total = 0
    filtered = _filtered(principal, chosen, at, with_status=False, with_deadline=False)
    _no_jit(session)
    parts: list[Select[Incident]] = [filtered]
    if _tally_serves(principal, chosen):
        # Finished work (most of a CERT's history) from the running tally, RED excepted;
        # the work in hand and finished RED incidents counted live, from small ranges.
        finished = [s.value for s in tally.FINISHED]
        in_hand = [s.value for s in IncidentStatus if s not in tally.FINISHED]
        parts = [
            filtered.where(Incident.status.in_(in_hand)),
            filtered.where(Incident.status.in_(finished), Incident.tlp == Tlp.RED),
        ]
        for statement in tally.finished_counts(principal, chosen.tlp, chosen.handling_cert_id):
            for status, count in session.execute(statement):
                by_status[str(status)] += int(count or 0)
                by_deadline["none"] += int(count or 0)
                total += int(count or 0)
    # One grouped count per side of the tenancy (disjoint): each an index-only scan of its
    # queue index on PostgreSQL. Over the whole tenancy (no CERT or organisation to range
    # over), one count per TLP label instead: each a range of (status, tlp), where the
    # policy's TLP clause, an OR over the labels, would make the planner read the rows.
    sides = _branches(principal)
    whole = chosen.handling_cert_id is None and chosen.organisation_id is None
    if principal.all_tenancy and whole:
        sides = [Incident.tlp == label for label in Tlp]
    for part, branch in ((p, b) for p in parts for b in sides):
        side = part if branch is None else part.where(branch)
        base = side.with_only_columns(Incident.status, Incident.next_due_at).subquery()
        due = base.c.next_due_at
        # Grouped by status alone (a handful of groups, hashed in memory), the deadline
        # states as conditional sums.
        states = {
            "none": due.is_(None),
            "overdue": due < at,
            "due_soon": and_(due >= at, due <= soon),
            "on_track": due > soon,
        }
        rows = session.execute(
            select(
                base.c.status,
                func.count(),
                *(func.sum(case((condition, 1), else_=0)) for condition in states.values()),
            ).group_by(base.c.status)
        )
        for status, count, *per_state in rows:
            key = status.value if isinstance(status, IncidentStatus) else str(status)
            by_status[key] = by_status.get(key, 0) + count
            for name, value in zip(states, per_state, strict=True):
                by_deadline[name] += int(value or 0)
            total += count
    return QueueCounts(total=total, by_status=by_status, by_deadline=by_deadline)


def _tally_serves(principal: Principal, chosen: IncidentFilter) -> bool:
    """Whether the tally can count the finished part: CERT staff, and no filter the tally
    does not know (it holds organisation, handler, status and TLP only)."""
    if principal.role is None or principal.role.is_constituent or chosen.open_only:
        return False
    unknown = (
        chosen.severity,
        chosen.rsit_class,
        chosen.sector,
        chosen.organisation_id,
        chosen.assignee_user_id,
        chosen.q,
    )
    return not any(v not in (None, []) for v in unknown)


def _branches(principal: Principal) -> list[ColumnElement[bool] | None]:
    """Disjoint sides of a CERT principal's tenancy — incidents its CERTs own, and those they
    handle but do not own — whose union is the tenancy clause; one side (None: no extra
    condition) for everyone else."""
    if principal.all_tenancy or not principal.cert_scope:
        return [None]
    if principal.role is not None and principal.role.is_constituent:
        return [None]
    scope = sorted(principal.cert_scope)
    return [
        Incident.owner_cert_id.in_(scope),
        and_(
            Incident.handling_cert_id.in_(scope),
            Incident.owner_cert_id.not_in(scope),
            # Implied by the two above; said so that the planner takes the partial index.
            Incident.handling_cert_id != Incident.owner_cert_id,
        ),
    ]


def _no_jit(session: Session) -> None:
    """Tune this transaction for the queue on PostgreSQL: no JIT (the TLP:RED subplan makes
    the planner overestimate the cost, and JIT then spends hundreds of milliseconds compiling
    a count that runs in tens), and room to group a big CERT's rows in memory."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '32MB'"))
