"""Feed storage services: ingest a report, and read runs, events and quarantined rows
through the access policy.

The pipeline itself lives in :mod:`certnet.feeds.pipeline`; :func:`ingest` is re-exported
here so that routes and commands call one service module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.config import get_settings
from certnet.core import access
from certnet.core.access import Principal
from certnet.core.errors import Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.feeds import pipeline
from certnet.feeds.batch import Parser
from certnet.feeds.models import Event, FeedRun, QuarantinedRow
from certnet.feeds.parsers.schema_store import installed_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.feeds.parsers.stix import StixParser
from certnet.feeds.schemas import FeedRunSummary
from certnet.findings import service as findings

__all__ = [
    "PARSERS",
    "get_run",
    "ingest",
    "list_events",
    "list_quarantine",
    "list_runs",
    "parser_for",
]


def _shadowserver() -> Parser:
    # The schema the operator imported (``certnet feeds schema import``); NotFound says how.
    return ShadowserverParser(installed_schema(settings=get_settings()))


#: Parsers by source name (``--source`` on the command line, ``source`` on the API).
PARSERS: dict[str, Callable[[], Parser]] = {"shadowserver": _shadowserver, "stix": StixParser}


def ingest(*, session: Session, principal: Principal, **options: Any) -> FeedRunSummary:
    """Ingest one report (:func:`certnet.feeds.pipeline.ingest`, whose options it takes),
    then bring up to date what other domains derive from the run's events."""
    summary = pipeline.ingest(session=session, principal=principal, **options)
    if not summary.already_ingested:
        findings.update_from_run(session=session, run_id=summary.id, principal=principal)
    return summary


def parser_for(source: str) -> Parser:
    """The parser of a feed source, or :class:`Invalid` naming the sources there are."""
    make = PARSERS.get(source)
    if make is None:
        known = ", ".join(sorted(PARSERS)) or "none installed"
        raise Invalid.on("source", f"unknown feed source {source!r}; expected one of: {known}")
    return make()


def list_runs(
    *,
    session: Session,
    principal: Principal,
    report_type: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[FeedRun]:
    """Feed runs the principal may see, newest first."""
    stmt = access.scoped(select(FeedRun), principal)
    if report_type:
        stmt = stmt.where(FeedRun.report_type == report_type)
    return paginate(session, stmt, keys=[FeedRun.id], cursor=cursor, limit=limit, descending=True)


def get_run(*, session: Session, principal: Principal, run_id: int) -> FeedRun:
    """One feed run, or NotFound if it is out of the principal's sight."""
    run = session.scalar(access.scoped(select(FeedRun).where(FeedRun.id == run_id), principal))
    if run is None:
        raise NotFound(f"feed run {run_id} not found")
    return run


def list_events(
    *,
    session: Session,
    principal: Principal,
    run_id: int | None = None,
    organisation_id: int | None = None,
    report_type: str | None = None,
    taxonomy: str | None = None,
    classification_type: str | None = None,
    seen_since: datetime | None = None,
    seen_until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Event]:
    """Events the principal may see (an organisation's events: the organisation and its
    CERT's reporting line; unowned events: the top CERT), newest first.

    ``run_id`` selects the events a run stored; ``seen_since``/``seen_until`` bound the
    last sighting (inclusive, exclusive).
    """
    for name, moment in (("seen_since", seen_since), ("seen_until", seen_until)):
        if moment is not None and moment.tzinfo is None:
            raise Invalid.on(name, "give a time zone (e.g. 2026-11-29T10:00:00Z)")
    stmt = access.scoped(select(Event), principal)
    if run_id is not None:
        stmt = stmt.where(Event.feed_run_id == run_id)
    if organisation_id is not None:
        stmt = stmt.where(Event.organisation_id == organisation_id)
    if report_type:
        stmt = stmt.where(Event.report_type == report_type)
    if taxonomy:
        stmt = stmt.where(Event.classification_taxonomy == taxonomy)
    if classification_type:
        stmt = stmt.where(Event.classification_type == classification_type)
    if seen_since is not None:
        stmt = stmt.where(Event.last_seen >= seen_since)
    if seen_until is not None:
        stmt = stmt.where(Event.last_seen < seen_until)
    return paginate(session, stmt, keys=[Event.id], cursor=cursor, limit=limit, descending=True)


def list_quarantine(
    *,
    session: Session,
    principal: Principal,
    run_id: int,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[QuarantinedRow]:
    """The rows a run quarantined, in input order; NotFound if the run is out of sight."""
    get_run(session=session, principal=principal, run_id=run_id)
    stmt = access.scoped(select(QuarantinedRow), principal).where(
        QuarantinedRow.feed_run_id == run_id
    )
    return paginate(session, stmt, keys=[QuarantinedRow.id], cursor=cursor, limit=limit)
