"""Deduplication within a batch, across batches and across runs; re-ingesting changes nothing;
a crash mid-run followed by a re-run loses nothing and duplicates nothing (invariant 3)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core.models import AuditEntry
from certnet.feeds import service
from certnet.feeds.models import Event, FeedRun, RunState
from certnet.feeds.schemas import FeedRunSummary
from tests.factories import Network
from tests.integration.feeds.conftest import Ingest
from tests.integration.feeds.fakes import DAY, ParserCrashed, ScanTestParser, report, seen

Snapshot = list[tuple[str | None, int | None, str, str, int]]


def _snapshot(session: Session) -> Snapshot:
    session.expire_all()
    rows = session.execute(
        select(Event.source_ip, Event.source_port, Event.first_seen, Event.last_seen, Event.count)
    )
    return sorted(
        (ip, port, first.isoformat(), last.isoformat(), n) for ip, port, first, last, n in rows
    )


def test_sightings_within_the_window_become_one_event_with_a_count(
    session: Session, ingest: Ingest
) -> None:
    summary = ingest(
        [
            (seen(0), "203.0.113.7", 443, "", "http"),
            (seen(3), "203.0.113.7", 443, "", "http"),
            (seen(1), "203.0.113.7", 443, "", "http"),  # older than the last sighting
            (seen(3), "203.0.113.7", 8443, "", "http"),  # another port: another event
            (seen(40), "203.0.113.7", 443, "", "http"),  # after the 24 h window: new event
        ],
        batch_size=2,
    )
    assert (summary.rows, summary.stored, summary.duplicates) == (5, 3, 2)
    assert _snapshot(session) == [
        ("203.0.113.7", 443, (DAY).isoformat(), (DAY + timedelta(hours=3)).isoformat(), 2),
        (
            "203.0.113.7",
            443,
            (DAY + timedelta(hours=40)).isoformat(),
            (DAY + timedelta(hours=40)).isoformat(),
            1,
        ),
        (
            "203.0.113.7",
            8443,
            (DAY + timedelta(hours=3)).isoformat(),
            (DAY + timedelta(hours=3)).isoformat(),
            1,
        ),
    ]


def test_a_later_report_moves_the_stored_event_on(session: Session, ingest: Ingest) -> None:
    first = ingest([(seen(0), "203.0.113.7", 443, "", "http")])
    second = ingest(
        [(seen(20), "203.0.113.7", 443, "", "http"), (seen(21), "198.51.100.9", 22, "", "ssh")]
    )
    assert (second.stored, second.duplicates) == (1, 1)
    event = session.scalars(select(Event).where(Event.source_ip == "203.0.113.7")).one()
    session.refresh(event)
    assert (event.count, event.last_seen, event.feed_run_id, event.last_feed_run_id) == (
        2,
        DAY + timedelta(hours=20),
        first.id,
        second.id,
    )


def test_the_window_is_configurable(session: Session, ingest: Ingest) -> None:
    rows = [(seen(0), "203.0.113.7", 443, "", "http"), (seen(2), "203.0.113.7", 443, "", "http")]
    summary = ingest(rows, dedup_window=timedelta(hours=1))
    assert (summary.stored, summary.duplicates) == (2, 0)


def test_reingesting_the_same_file_is_a_reported_no_op(
    session: Session, net: Network, ingest: Ingest
) -> None:
    rows = [(seen(h), f"203.0.113.{h}", 80, "", "http") for h in range(10)] + ["bad"]
    first = ingest(rows)
    before = _snapshot(session)
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    again = ingest(rows)
    assert again.already_ingested
    assert (again.id, again.rows, again.stored) == (first.id, 11, 10)
    assert _snapshot(session) == before
    assert session.scalar(select(func.count()).select_from(FeedRun)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_the_same_rows_in_another_file_change_no_event(session: Session, ingest: Ingest) -> None:
    rows = [(seen(h % 5), f"203.0.113.{h % 7}", 80, "", "http") for h in range(40)]
    ingest(rows)
    before = _snapshot(session)
    # Reversed and with Windows line ends: another file, the same observations.
    again = ingest(report(list(reversed(rows))).replace(b"\n", b"\r\n"))
    assert not again.already_ingested
    assert (again.rows, again.stored, again.duplicates) == (40, 0, 40)
    assert _snapshot(session) == before


@pytest.mark.parametrize("where", ["in the parser", "before a commit"])
def test_a_crash_then_a_rerun_loses_nothing_and_duplicates_nothing(
    session: Session, net: Network, where: str
) -> None:
    rows = [(seen(h % 30), f"203.0.113.{h % 50}", 80 + h % 3, "", "http") for h in range(200)] + [
        "broken"
    ]
    content = report(rows)
    national = net.principal(session, "national")

    def run(parser: ScanTestParser, **options: Any) -> FeedRunSummary:
        return service.ingest(
            session=session,
            principal=national,
            parser=parser,
            stream=io.BytesIO(content),
            filename="scan_test.csv",
            batch_size=40,
            **options,
        )

    # What one clean run stores, for comparison (then undone).
    clean_scope = session.begin_nested()
    run(ScanTestParser())
    expected = _snapshot(session)
    clean_scope.rollback()
    assert _snapshot(session) == []

    # The CLI commits after every batch. Here each "commit" keeps a savepoint's work and opens
    # the next one; after the crash the batch in flight is rolled back, as a dying process's.
    scope = [session.begin_nested()]
    commits = [0]

    def commit() -> None:
        commits[0] += 1
        scope[0].commit()
        scope[0] = session.begin_nested()

    def commit_then_die() -> None:
        # The run row, then three batches are committed; the fourth is written, then lost.
        if commits[0] == 4:
            raise ParserCrashed("died before committing the fourth batch")
        commit()

    if where == "in the parser":
        parser, checkpoint = ScanTestParser(crash_after_batches=3), commit
    else:
        parser, checkpoint = ScanTestParser(), commit_then_die
    with pytest.raises(ParserCrashed):
        run(parser, checkpoint=checkpoint)
    scope[0].rollback()
    interrupted = session.scalars(select(FeedRun)).one()
    assert interrupted.state is RunState.INTERRUPTED
    assert 0 < len(_snapshot(session)) < len(expected)
    assert interrupted.rows == 120  # three batches of 40 committed

    scope[0] = session.begin_nested()
    rerun = run(ScanTestParser(), checkpoint=commit)
    assert not rerun.already_ingested  # the interrupted run did not finish
    assert rerun.rows == 201
    assert rerun.accounted
    assert _snapshot(session) == expected
    # And once finished, the same file is recognised.
    assert run(ScanTestParser()).already_ingested


def test_rows_without_a_time_are_duplicates_of_their_event(
    session: Session, ingest: Ingest
) -> None:
    first = ingest([("", "203.0.113.7", 443, "", "http"), ("", "203.0.113.7", 443, "", "http")])
    assert (first.stored, first.duplicates) == (1, 1)
    before = _snapshot(session)
    second = ingest([("", "203.0.113.7", 443, "", "http"), ("", "203.0.113.8", 443, "", "x")])
    assert (second.stored, second.duplicates) == (1, 1)
    assert _snapshot(session)[0] == before[0]
