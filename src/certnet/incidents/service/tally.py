"""Running counts of incidents per (organisation, handler elsewhere, status, TLP), so that the
queue's counts of finished work (closed, rejected, duplicate: most of a CERT's history) do not
read every incident.

Kept by the service in the same transaction as each change (report, status, merge, hand-over)
with an atomic upsert. Keyed by organisation rather than owner CERT, and with ``handler = 0``
for incidents handled by their owner, so that an organisation moving to another CERT (which
moves its incidents' owner, ``access.reassign_organisation``) leaves every row right: the
owner is read from the organisation when counting.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from certnet.constituency.models import Organisation
from certnet.core.access import Principal
from certnet.core.tlp import Tlp
from certnet.incidents.models import Incident, IncidentStatus, IncidentTally

#: Statuses counted from the tally (never owing a deadline: their deadline state is "none").
FINISHED = (IncidentStatus.CLOSED, IncidentStatus.REJECTED, IncidentStatus.DUPLICATE)

Key = tuple[int, int, str, str]


def key_of(incident: Incident) -> Key:
    """The tally row an incident counts in."""
    elsewhere = incident.handling_cert_id != incident.owner_cert_id
    return (
        incident.organisation_id,
        incident.handling_cert_id if elsewhere else 0,
        incident.status.value,
        incident.tlp.value,
    )


def bump(session: Session, key: Key, delta: int) -> None:
    """Add ``delta`` to a tally row, creating it if need be (atomic on both engines)."""
    organisation_id, handler, status, tlp = key
    values = {
        "organisation_id": organisation_id,
        "handler": handler,
        "status": status,
        "tlp": tlp,
        "count": delta,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(IncidentTally).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "handler", "status", "tlp"],
        set_={"count": IncidentTally.count + delta},
    )
    session.execute(statement)


def move(session: Session, before: Key, incident: Incident) -> None:
    """The incident changed (status, handler): move it from ``before`` to its current row."""
    after = key_of(incident)
    if after != before:
        bump(session, before, -1)
        bump(session, after, 1)


def finished_counts(
    principal: Principal, tlp: list[str], handling_cert_id: int | None
) -> list[Select[str, int]]:
    """Counts per finished status of what the principal's queue holds, RED left out (its
    named recipients are checked per incident, live): one statement per side of the
    tenancy, like the queue's own (organisations its CERTs serve; rows handled there but
    owned elsewhere), each a few index probes."""
    owner_col = Organisation.cert_id
    handler_col = IncidentTally.handler
    # The CERT handling the row: its owner when ``handler`` is 0.
    handling = func.coalesce(func.nullif(handler_col, 0), owner_col)
    strict = (
        or_(owner_col == principal.cert_id, handling == principal.cert_id)
        if principal.cert_id is not None
        else false()
    )
    sides: list[ColumnElement[bool]]
    if principal.all_tenancy:
        sides = [true()]
    elif principal.cert_scope:
        scope = sorted(principal.cert_scope)
        sides = [owner_col.in_(scope), and_(handler_col.in_(scope), owner_col.not_in(scope))]
    else:
        sides = []
    statements = []
    for side in sides:
        stmt = (
            select(IncidentTally.status, func.sum(IncidentTally.count))
            .join(Organisation, Organisation.id == IncidentTally.organisation_id)
            .where(
                side,
                IncidentTally.status.in_([s.value for s in FINISHED]),
                IncidentTally.tlp != Tlp.RED.value,
                or_(IncidentTally.tlp != Tlp.AMBER_STRICT.value, strict),
            )
            .group_by(IncidentTally.status)
        )
        if tlp:
            stmt = stmt.where(IncidentTally.tlp.in_(tlp))
        if handling_cert_id is not None:
            stmt = stmt.where(handling == handling_cert_id)
        statements.append(stmt)
    return statements
