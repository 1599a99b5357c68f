"""Findings from feed runs: open what a report shows for the first time, follow what it shows
again, reopen what comes back after a fix, and verify as fixed what a later complete report of
the same feed no longer shows.

Everything is set-based: the run's events are grouped into findings by the database, in one
query; each chunk of up to :data:`CHUNK` findings costs one lookup, one bulk insert, one bulk
update and one history insert, whatever the number of events; verification is one history
insert and one update over the feed's findings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import audit, clock
from certnet.core.access import Principal
from certnet.core.errors import NotFound
from certnet.feeds import outputs
from certnet.feeds.models import Event, FeedRun, RunState
from certnet.findings.models import (
    HOST_MAX,
    ISSUE_MAX,
    Finding,
    FindingHistory,
    FindingState,
)

#: Findings handled per round trip (one lookup, one insert, one update each).
CHUNK = 5_000
#: The port of the identity when the report gives none (the column stays NULL).
NO_PORT = -1
SEPARATOR = "\x1f"

#: States a finding is "resolved" in: present again, it is reopened.
_RESOLVED = (FindingState.FIXED, FindingState.VERIFIED)


@dataclass
class RunFindings:
    """What one feed run did to the findings."""

    run_id: int
    opened: int = 0
    seen_again: int = 0
    reopened: int = 0
    verified: int = 0
    verified_after_claim: int = 0
    #: False when the run could not prove absence (unfinished, rows unaccounted or quarantined).
    verification: bool = False
    skipped_unowned: int = 0
    opened_ids: list[int] = field(default_factory=list)

    def as_audit(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "opened": self.opened,
            "seen_again": self.seen_again,
            "reopened": self.reopened,
            "verified": self.verified,
            "verified_after_claim": self.verified_after_claim,
            "verification": self.verification,
        }


def finding_key(
    organisation_id: int, source: str, report_type: str, issue: str, host: str, port: int | None
) -> str:
    """The identity of a finding: organisation, issue type, host and port."""
    parts = (str(organisation_id), source, report_type, issue, host, str(port or NO_PORT))
    return hashlib.sha256(SEPARATOR.join(parts).encode()).hexdigest()


def _sibling_runs(session: Session, run: FeedRun) -> list[int]:
    """The run and the interrupted runs of the same input before it: a re-run after a
    crash counts what the crashed run stored as duplicates, so their events are this one's."""
    earlier = session.scalars(
        select(FeedRun.id).where(
            FeedRun.sha256 == run.sha256,
            FeedRun.report_type == run.report_type,
            FeedRun.state == RunState.INTERRUPTED,
            FeedRun.id < run.id,
        )
    )
    return [run.id, *earlier]


def _grouped_events(session: Session, runs: Sequence[int]) -> Any:
    """The run's owned events grouped into findings, by the database (one query)."""
    issue = func.coalesce(Event.classification_identifier, Event.report_type)
    host = func.coalesce(Event.source_ip, Event.source_fqdn, "")
    port = func.coalesce(Event.source_port, NO_PORT)
    new_here = case((Event.feed_run_id.in_(runs), 1), else_=0)
    stmt = (
        select(
            Event.organisation_id,
            Event.report_type,
            issue.label("issue"),
            host.label("host"),
            port.label("port"),
            func.min(Event.first_seen).label("first_seen"),
            func.max(Event.last_seen).label("last_seen"),
            func.sum(new_here).label("new_events"),
            func.max(Event.id).label("last_event_id"),
            func.max(Event.owner_cert_id).label("owner_cert_id"),
            func.max(Event.sector).label("sector"),
            func.max(case((Event.cii, 1), else_=0)).label("cii"),
            func.max(Event.classification_taxonomy).label("taxonomy"),
            func.max(Event.classification_type).label("classification_type"),
            func.max(Event.ip_version).label("ip_version"),
            func.max(Event.ip_hex).label("ip_hex"),
        )
        .where(
            or_(Event.feed_run_id.in_(runs), Event.last_feed_run_id.in_(runs)),
            Event.organisation_id.is_not(None),
        )
        .group_by(Event.organisation_id, Event.report_type, issue, host, port)
    )
    return session.execute(stmt.execution_options(yield_per=CHUNK))


def _chunks(rows: Iterable[Row[Any]]) -> Iterable[list[Row[Any]]]:
    chunk: list[Row[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def update_from_run(
    *, session: Session, run_id: int, principal: Principal | None = None
) -> RunFindings:
    """Bring the findings up to date with a stored feed run: open new ones, follow those
    seen again, reopen those back after a fix, and — when the run is complete — verify as
    fixed the findings of the same feed (source and report type) it no longer shows, within
    the running CERT's part of the network. Idempotent: a run applied twice changes nothing
    the second time. One audit entry per run; one history row per finding transition."""
    run = session.get(FeedRun, run_id)
    if run is None:
        raise NotFound(f"feed run {run_id} not found")
    actor = principal or Principal.system(f"feed run {run.id}")
    result = RunFindings(run_id=run.id)
    now = clock.now()
    runs = _sibling_runs(session, run)
    for chunk in _chunks(_grouped_events(session, runs)):
        _apply_chunk(session, run, chunk, now, actor, result)
    result.verification = run.state is RunState.FINISHED and run.accounted and run.quarantined == 0
    if result.verification:
        _verify_absent(session, run, now, actor, result)
    session.flush()
    expire_loaded_findings(session)
    if result.opened or result.seen_again or result.reopened or result.verified:
        audit.record(
            session=session,
            principal=actor,
            action="finding.update_from_run",
            object_type="feed_run",
            object_id=run.id,
            after=result.as_audit(),
            owner_cert_id=run.owner_cert_id,
        )
    return result


def key_in(session: Session, keys: Sequence[str]) -> ColumnElement[bool]:
    """``Finding.key IN keys`` with the keys as one parameter (an array on PostgreSQL, a
    JSON text unpacked by ``json_each`` on SQLite): thousands of bound parameters cost more
    to compile and bind than the lookup itself."""
    if session.get_bind().dialect.name == "postgresql":
        return Finding.key == any_(bindparam("finding_keys", list(keys), type_=ARRAY(String())))
    unpacked: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(json.dumps(list(keys)))
    )
    return Finding.key.in_(unpacked)


def expire_loaded_findings(session: Session) -> None:
    """Bulk statements bypass the session: findings it already holds are read again on
    their next use, so that callers never see a state from before the statement."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Finding):
            session.expire(obj)


def _apply_chunk(
    session: Session,
    run: FeedRun,
    chunk: list[Row[Any]],
    now: datetime,
    actor: Principal,
    result: RunFindings,
) -> None:
    keyed: dict[str, Row[Any]] = {}
    for row in chunk:
        port = None if row.port == NO_PORT else int(row.port)
        host, issue = str(row.host)[:HOST_MAX], str(row.issue)[:ISSUE_MAX]
        key = finding_key(row.organisation_id, run.source, row.report_type, issue, host, port)
        keyed[key] = row
    existing = {
        key: (finding_id, state, last_run_id)
        for finding_id, key, state, last_run_id in session.execute(
            select(Finding.id, Finding.key, Finding.state, Finding.last_run_id).where(
                key_in(session, list(keyed))
            )
        )
    }
    new_keys = [key for key in keyed if key not in existing]
    if new_keys:
        _insert_new(session, run, [(key, keyed[key]) for key in new_keys], now)
        history_for(
            session,
            key_in(session, new_keys),
            to_state=FindingState.OPEN,
            now=now,
            actor=actor,
            note=f"first reported by feed run {run.id}",
            run_id=run.id,
            first=True,
        )
        result.opened += len(new_keys)
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for key, (finding_id, state, last_run_id) in existing.items():
        if last_run_id == run.id:
            continue  # this run was applied already
        row = keyed[key]
        change: dict[str, Any] = {
            "id": finding_id,
            "last_seen": row.last_seen,
            "last_event_id": row.last_event_id,
            "last_run_id": run.id,
            "updated_at": now,
        }
        if state in _RESOLVED:
            change.update(state=FindingState.REOPENED, reopened_at=now)
            history.append(
                _history_row(
                    finding_id,
                    row,
                    state,
                    FindingState.REOPENED,
                    now,
                    actor,
                    f"reported again by feed run {run.id}",
                    run.id,
                )
            )
            result.reopened += 1
        else:
            result.seen_again += 1
        change["new_events"] = int(row.new_events or 0)
        updates.append(change)
    if updates:
        _update_seen(session, updates)
    if history:
        session.execute(insert(FindingHistory), history)


def _insert_new(
    session: Session, run: FeedRun, rows: list[tuple[str, Row[Any]]], now: datetime
) -> None:
    columns: dict[str, list[Any]] = {
        "key": [key for key, _ in rows],
        "owner_cert_id": [r.owner_cert_id for _, r in rows],
        "organisation_id": [r.organisation_id for _, r in rows],
        "sector": [r.sector for _, r in rows],
        "cii": [bool(r.cii) for _, r in rows],
        "source": [run.source] * len(rows),
        "report_type": [r.report_type for _, r in rows],
        "issue": [str(r.issue)[:ISSUE_MAX] for _, r in rows],
        "classification_taxonomy": [r.taxonomy for _, r in rows],
        "classification_type": [r.classification_type for _, r in rows],
        "host": [str(r.host)[:HOST_MAX] for _, r in rows],
        "port": [None if r.port == NO_PORT else int(r.port) for _, r in rows],
        "ip_version": [r.ip_version for _, r in rows],
        "ip_hex": [r.ip_hex for _, r in rows],
        "state": [FindingState.OPEN] * len(rows),
        "first_seen": [r.first_seen for _, r in rows],
        "last_seen": [r.last_seen for _, r in rows],
        "event_count": [int(r.new_events or 0) for _, r in rows],
        "sightings": [1] * len(rows),
        "last_event_id": [r.last_event_id for _, r in rows],
        "first_run_id": [run.id] * len(rows),
        "last_run_id": [run.id] * len(rows),
        "opened_at": [now] * len(rows),
        "reopen_count": [0] * len(rows),
        "updated_at": [now] * len(rows),
    }
    outputs.insert_columns(session, outputs.table_of(Finding), columns)


def _update_seen(session: Session, updates: list[dict[str, Any]]) -> None:
    """One executemany per kind: move ``last_seen``, count the new events and the
    sighting, and (second kind) reopen."""
    table = outputs.table_of(Finding)
    seen = {
        "last_seen": _bind("last_seen", table.c.last_seen.type),
        "last_event_id": _bind("last_event_id", Integer()),
        "last_run_id": _bind("last_run_id", Integer()),
        "updated_at": _bind("updated_at", table.c.updated_at.type),
        "event_count": table.c.event_count + _bind("new_events", Integer()),
        "sightings": table.c.sightings + 1,
    }
    reopen = {
        "state": FindingState.REOPENED.value,
        "reopened_at": _bind("reopened_at", table.c.reopened_at.type),
        "reopen_count": table.c.reopen_count + 1,
    }
    for kind, values in (("plain", seen), ("reopened", {**seen, **reopen})):
        params = [
            _rename_id({k: v for k, v in u.items() if k != "state"})
            for u in updates
            if ("state" in u) == (kind == "reopened")
        ]
        if params:
            session.execute(
                update(table).where(table.c.id == _bind("b_id", Integer())).values(values),
                params,
            )


def _bind(name: str, type_: Any) -> Any:
    return bindparam(name, type_=type_)


def _rename_id(values: dict[str, Any]) -> dict[str, Any]:
    renamed = dict(values)
    renamed["b_id"] = renamed.pop("id")
    return renamed


def _history_row(
    finding_id: int,
    row: Row[Any],
    from_state: FindingState | None,
    to_state: FindingState,
    now: datetime,
    actor: Principal,
    note: str | None,
    run_id: int | None,
) -> dict[str, Any]:
    return {
        "finding_id": finding_id,
        "owner_cert_id": row.owner_cert_id,
        "organisation_id": row.organisation_id,
        "at": now,
        "from_state": from_state,
        "to_state": to_state,
        "actor_user_id": actor.user_id,
        "actor": actor.name,
        "note": note,
        "feed_run_id": run_id,
        "notification_id": None,
    }


def history_for(
    session: Session,
    where: Any,
    *,
    to_state: FindingState,
    now: datetime,
    actor: Principal,
    note: str | None,
    run_id: int | None = None,
    notification_id: int | None = None,
    first: bool = False,
) -> None:
    """One INSERT … SELECT of a history row for every finding matching ``where``, from its
    current state (``first``: from nothing, for findings just opened) to ``to_state``."""
    from_column: Any = literal(None, String()) if first else Finding.state

    def maybe(value: int | str | None, type_: Any) -> Any:
        return null() if value is None else literal(value, type_)

    source = select(
        Finding.id,
        Finding.owner_cert_id,
        Finding.organisation_id,
        literal(now, Finding.updated_at.type),
        from_column,
        literal(to_state.value, String()),
        maybe(actor.user_id, Integer()),
        literal(actor.name, String()),
        maybe(note, String()),
        maybe(run_id, Integer()),
        maybe(notification_id, Integer()),
    ).where(where)
    session.execute(
        insert(FindingHistory).from_select(
            [
                "finding_id",
                "owner_cert_id",
                "organisation_id",
                "at",
                "from_state",
                "to_state",
                "actor_user_id",
                "actor",
                "note",
                "feed_run_id",
                "notification_id",
            ],
            source,
        )
    )


def _verify_absent(
    session: Session, run: FeedRun, now: datetime, actor: Principal, result: RunFindings
) -> None:
    """Findings of the same feed that this complete run no longer shows are fixed."""
    conditions = [
        Finding.source == run.source,
        Finding.report_type == run.report_type,
        Finding.state != FindingState.VERIFIED,
        or_(Finding.last_run_id.is_(None), Finding.last_run_id < run.id),
    ]
    top = constituency.top_cert_id(session=session)
    if run.owner_cert_id != top:
        scope = constituency.cert_tree(session=session).descendants(run.owner_cert_id)
        conditions.append(Finding.owner_cert_id.in_(sorted(scope)))
    where = and_(*conditions)
    counts: dict[bool, int] = {}
    claimed = Finding.state == FindingState.FIXED
    for was_claimed, count in session.execute(
        select(claimed, func.count()).where(where).group_by(claimed)
    ):
        counts[bool(was_claimed)] = int(count)
    result.verified = sum(counts.values())
    result.verified_after_claim = counts.get(True, 0)
    if not result.verified:
        return
    history_for(
        session,
        where,
        to_state=FindingState.VERIFIED,
        now=now,
        actor=actor,
        note=f"absent from feed run {run.id}",
        run_id=run.id,
    )
    session.execute(
        update(Finding)
        .where(where)
        .values(
            verified_after_claim=case((Finding.state == FindingState.FIXED, True), else_=False),
            state=FindingState.VERIFIED,
            verified_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
