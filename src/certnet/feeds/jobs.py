"""The feeds domain's background work: collecting reports from the configured sources and
ingesting them (each report in its own units of work; acknowledged at its source only once
stored, so running a collection again never loses or duplicates anything)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.core import clock
from certnet.feeds import sources
from certnet.jobs import Job, queue

log = logging.getLogger("certnet.feeds")


def collect_source(
    session_factory: sessionmaker[Session], settings: Settings, *, source: str
) -> None:
    """Collect and ingest every available report of one feed source."""
    result = sources.collect(session_factory, name=source)
    for report in result.reports:
        if report.error:
            log.warning("feed source %s: %s refused: %s", source, report.report, report.error)
    if result.error:
        log.warning("feed source %s: %s", source, result.error)


def collect_due(session_factory: sessionmaker[Session], settings: Settings) -> None:
    """Collect from every enabled source whose schedule says it is time.

    On the durable queue (PostgreSQL) each source becomes a ``feeds.collect_source`` job of
    its own, so the workers share the sources; keyed by source, so one source is never
    collected by two workers at once (two collections of one folder would race for its
    files) and waits in the queue once. Embedded, they are collected here, one by one."""
    session = session_factory()
    try:
        due = sources.due_sources(session=session, now=clock.now())
    finally:
        session.close()
    if queue.is_postgres(settings.database_url):
        queue.defer_calls(
            settings,
            [
                queue.Call("feeds.collect_source", {"source": name}, key=f"feed-source:{name}")
                for name in due
            ],
        )
        return
    failed = []
    for name in due:
        # One source failing (its database work, a bug) must not starve the others.
        try:
            collect_source(session_factory, settings, source=name)
        except Exception:
            log.exception("feed source %s: collection failed", name)
            failed.append(name)
    if failed:
        raise RuntimeError(f"collection failed for feed source(s): {', '.join(failed)}")


JOBS: tuple[Job, ...] = (
    Job(
        "feeds.collect_due",
        collect_due,
        every=timedelta(minutes=1),
        description="Collect from the feed sources whose schedule is due",
    ),
    Job(
        "feeds.collect_source",
        collect_source,
        description="Collect from one feed source now (parameter: source)",
    ),
)
