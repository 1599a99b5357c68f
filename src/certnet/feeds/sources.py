"""Feed sources: configure where reports come from, and collect from them.

A source is configuration (kind, location, parser, schedule); the secret it needs stays in
the environment variable it names. :func:`collect` takes every report a source's collector
has, ingests each in its own unit of work (so one bad report never undoes the others), and
acknowledges it at the source only once stored.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import DomainError, Invalid, NotFound
from certnet.feeds import service
from certnet.feeds.batch import Parser
from certnet.feeds.collectors import CollectedReport, Collector, CollectorError
from certnet.feeds.collectors.folder import FolderCollector
from certnet.feeds.collectors.http import HttpCollector
from certnet.feeds.collectors.imap import ImapCollector
from certnet.feeds.parsers.mapping import parser_for_mapping
from certnet.feeds.source_models import FeedSource, SourceKind
from certnet.feeds.source_schemas import (
    CollectedRead,
    CollectionRead,
    FeedSourceCreate,
    FeedSourceRead,
)

MAPPING = "mapping"


def add_source(*, session: Session, principal: Principal, data: FeedSourceCreate) -> FeedSource:
    """Configure a feed source; Invalid naming the field when it cannot work as given."""
    if data.parser == MAPPING:
        if not data.mapping_path:
            raise Invalid.on("mapping_path", "a mapping source needs its mapping file")
        parser_for_mapping(Path(data.mapping_path))  # checked now, not at the first run
    elif data.parser not in service.PARSERS:
        known = ", ".join(sorted([*service.PARSERS, MAPPING]))
        raise Invalid.on("parser", f"unknown parser {data.parser!r}; expected one of: {known}")
    if data.kind is SourceKind.HTTP and not data.location.startswith(("http://", "https://")):
        raise Invalid.on("location", "an HTTP source's location is an http(s):// URL")
    if data.kind is SourceKind.IMAP:
        if not data.username or not data.secret_env:
            raise Invalid.on("secret_env", "an IMAP source needs a username and secret_env")
        if "/" in data.location or ":" in data.location:
            raise Invalid.on("location", "an IMAP source's location is the server's host name")
    if session.scalar(select(FeedSource.id).where(FeedSource.name == data.name)) is not None:
        raise Invalid.on("name", f"a feed source named {data.name!r} exists already")
    owner = principal.cert_id or constituency.top_cert_id(session=session)
    if owner is None:
        raise Invalid.on("cert", "no CERT exists yet: create the national CERT first")
    source = FeedSource(
        owner_cert_id=owner,
        name=data.name,
        kind=data.kind,
        location=data.location,
        parser=data.parser,
        report_type=data.report_type,
        mapping_path=data.mapping_path,
        username=data.username,
        secret_env=data.secret_env,
        options=data.options.model_dump(exclude_defaults=True),
        every_minutes=data.every_minutes,
        enabled=data.enabled,
        state={},
        created_at=clock.now(),
    )
    session.add(source)
    session.flush()
    access.require_create(session, principal, source)
    audit.record(
        session=session,
        principal=principal,
        action="feed_source.add",
        object_type="feed_source",
        object_id=source.id,
        after=FeedSourceRead.model_validate(source).model_dump(mode="json"),
        owner_cert_id=source.owner_cert_id,
    )
    return source


def list_sources(*, session: Session, principal: Principal) -> list[FeedSource]:
    """The feed sources the principal may see, by name."""
    stmt = access.scoped(select(FeedSource), principal).order_by(FeedSource.name)
    return list(session.scalars(stmt))


def get_source(*, session: Session, principal: Principal, name: str) -> FeedSource:
    """One feed source by name, or NotFound."""
    stmt = access.scoped(select(FeedSource).where(FeedSource.name == name), principal)
    source = session.scalar(stmt)
    if source is None:
        raise NotFound(f"feed source {name!r} not found")
    return source


def remove_source(*, session: Session, principal: Principal, name: str) -> None:
    """Remove a feed source (its runs and events stay)."""
    source = get_source(session=session, principal=principal, name=name)
    access.require(session, principal, "edit", source)
    before = FeedSourceRead.model_validate(source).model_dump(mode="json")
    session.delete(source)
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="feed_source.remove",
        object_type="feed_source",
        object_id=before["id"],
        before=before,
        owner_cert_id=source.owner_cert_id,
    )


def due_sources(*, session: Session, now: datetime) -> list[str]:
    """Names of the enabled sources whose schedule says collect now."""
    sources = session.scalars(select(FeedSource).where(FeedSource.enabled.is_(True)))
    return [
        s.name
        for s in sources
        if s.last_collected_at is None
        or s.last_collected_at + timedelta(minutes=s.every_minutes) <= now
    ]


def collector_for(source: FeedSource) -> Collector:
    """The collector a source's configuration describes; Invalid when its secret's
    environment variable is not set or its CA bundle cannot be read."""
    try:
        return _build_collector(source)
    except (ssl.SSLError, OSError) as exc:
        raise Invalid.on("options.ca_bundle", f"cannot load the CA bundle: {exc}") from None


def _build_collector(source: FeedSource) -> Collector:
    secret = None
    if source.secret_env:
        secret = os.environ.get(source.secret_env)
        if secret is None:
            raise Invalid.on("secret_env", f"environment variable {source.secret_env} is not set")
    options = source.options or {}
    ca_bundle = options.get("ca_bundle")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise Invalid.on("options.ca_bundle", f"no CA bundle at {ca_bundle}")
    if source.kind is SourceKind.FOLDER:
        return FolderCollector(
            Path(source.location), settle_seconds=float(options.get("settle_seconds", 0))
        )
    if source.kind is SourceKind.HTTP:
        return HttpCollector(
            source.location,
            state=source.state,
            ca_bundle=options.get("ca_bundle"),
            username=source.username,
            secret=secret,
        )
    return ImapCollector(
        source.location,
        port=options.get("port"),
        username=source.username or "",
        password=secret or "",
        mailbox=options.get("mailbox", "INBOX"),
        subject=options.get("subject"),
        sender=options.get("sender"),
        security=options.get("security", "ssl"),
        ca_bundle=options.get("ca_bundle"),
    )


def parser_of(source: FeedSource) -> Parser:
    """The parser a source's reports are read with."""
    if source.parser == MAPPING:
        return parser_for_mapping(Path(source.mapping_path or ""))
    return service.parser_for(source.parser)


def collect(
    session_factory: sessionmaker[Session],
    *,
    name: str,
    principal: Principal | None = None,
    make_collector: Callable[[FeedSource], Collector] = collector_for,
) -> CollectionRead:
    """Collect every available report of source ``name`` and ingest each one.

    Runs its own units of work (it is background work): one to read the source, one per
    report (committed batch by batch, so a crash mid-report resumes without loss or
    duplicates), one to record the outcome. A report the pipeline refuses (unknown type,
    wrong header) is acknowledged as failed with the reason. A source that cannot be used
    (its secret's variable unset, its mapping or CA file unreadable) or reached is recorded
    on the source and reported, and nothing is acknowledged. NotFound if there is no such
    source (or the principal may not see it).
    """
    principal = principal or Principal.system(f"feeds:collect:{name}")
    result = CollectionRead(source=name)
    with _unit(session_factory) as session:
        source = get_source(session=session, principal=principal, name=name)
        access.require(session, principal, "edit", source)
        source_id, report_type = source.id, source.report_type
        try:
            collector = make_collector(source)
            parser = parser_of(source)
        except DomainError as exc:
            result.error = exc.detail
            _record(source, result)
            return result
    try:
        for report in collector.collect():
            result.reports.append(
                _ingest_one(
                    session_factory, name, principal, parser, report_type, report, collector
                )
            )
    except CollectorError as exc:
        result.error = str(exc)
    with _unit(session_factory) as session:
        stored = session.get(FeedSource, source_id)
        if stored is not None:
            _record(stored, result, collector.state)
    return result


def _record(
    source: FeedSource, result: CollectionRead, state: dict[str, Any] | None = None
) -> None:
    source.last_collected_at = clock.now()
    source.last_error = result.error[:2000] if result.error else None
    if state:
        source.state = state


@contextmanager
def _unit(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work from the job's session factory: commit on success, else roll back."""
    session = session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _ingest_one(
    session_factory: sessionmaker[Session],
    name: str,
    principal: Principal,
    parser: Parser,
    report_type: str | None,
    report: CollectedReport,
    collector: Collector,
) -> CollectedRead:
    try:
        with _unit(session_factory) as session:
            summary = service.ingest(
                session=session,
                principal=principal,
                parser=parser,
                stream=report.stream,
                filename=report.name,
                report_type=report_type,
                checkpoint=session.commit,
            )
    except DomainError as exc:
        collector.acknowledge(report, stored=False, reason=exc.detail)
        return CollectedRead(source=name, report=report.name, error=exc.detail)
    collector.acknowledge(report, stored=True)
    return CollectedRead(source=name, report=report.name, run=summary)
