"""Against per-row statements: ingestion costs a fixed number of statements per batch,
whatever the batch's size (bulk inserts and one lookup per stage).

Counted on the feed pipeline itself (:func:`certnet.feeds.pipeline.ingest`); what other
domains derive from a run afterwards (findings) counts its own statements in its tests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from certnet.feeds import pipeline
from tests.factories import Network
from tests.integration.feeds.fakes import ScanTestParser, report, seen


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(
    session: Session, net: Network, engine: Engine, rows_per_batch: int, day: int
) -> int:
    # The first batch stores new events, the next ones move them on; each batch has repeats
    # within itself, bad addresses and a row the parser rejects.
    rows: list[object] = []
    for batch in range(3):
        for i in range(rows_per_batch):
            host = f"203.0.113.{i % 13}" if i % 10 else "not-an-ip"
            rows.append((seen(day * 100 + batch), host, 80 + i % 3, "", "http"))
        rows.append("broken")
    with counting(engine) as statements:
        summary = pipeline.ingest(
            session=session,
            principal=net.principal(session, "national"),
            parser=ScanTestParser(),
            stream=io.BytesIO(report(rows)),  # type: ignore[arg-type]
            filename=f"day{day}.csv",
            batch_size=rows_per_batch + 1,
        )
    assert summary.rows == 3 * (rows_per_batch + 1)
    assert summary.stored > 0
    assert summary.duplicates > 0
    assert summary.quarantined > 0
    return len(statements)


def test_ingest_statements_grow_with_batches_not_rows(
    session: Session, net: Network, db_engine: Engine
) -> None:
    # Rows per batch stay below SQLAlchemy's insertmanyvalues page (1,000 rows), which would
    # otherwise split one bulk insert into several round trips on PostgreSQL.
    small = _statements(session, net, db_engine, 20, day=1)
    large = _statements(session, net, db_engine, 600, day=2)
    assert small == large
    assert small < 60
