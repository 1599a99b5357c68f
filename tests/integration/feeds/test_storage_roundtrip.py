"""The bulk store writes exactly what it is given, on both engines: text with quotes,
backslashes, tabs, line breaks and non-ASCII characters in typed columns and in ``data``
(SQLite takes batch-wide constants as literals, PostgreSQL a COPY in text format: both
escape), times in UTC, and NULLs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.feeds import pipeline
from certnet.feeds.batch import ParsedBatch
from certnet.feeds.models import Event
from tests.factories import Network

TRICKY = [
    "it's",
    "x'); DROP TABLE event; --",
    'say "hi"',
    "back\\slash \\N",
    "tab\there",
    "two\nlines\r\nhere",
    "Lahore ✓ لاہور",
]
T0 = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)


class _TrickyParser:
    """One batch: every row has the same awkward identifier (a batch-wide constant), and
    an awkward host name, city and extra value of its own."""

    source = "test"

    def __init__(self, identifier: str) -> None:
        self.identifier = identifier

    def detect(self, filename: str | None, head: bytes) -> str | None:
        return "scan_tricky"

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        size = len(TRICKY)
        yield ParsedBatch(
            report_type=report_type,
            columns={
                "time.source": [T0] * size,
                "source.ip": [f"203.0.113.{i + 1}" for i in range(size)],
                "source.port": [None] * size,
                "classification.identifier": [self.identifier] * size,
                "source.local_hostname": TRICKY,
                "source.geolocation.city": TRICKY[::-1],
            },
            extra_columns={"note": TRICKY, "blank": [""] * size},
            lines=list(range(2, size + 2)),
            raw=[f"line {i}" for i in range(size)],
        )


def _ingest(session: Session, net: Network, identifier: str) -> list[Event]:
    summary = pipeline.ingest(
        session=session,
        principal=net.principal(session, "national"),
        parser=_TrickyParser(identifier),
        stream=io.BytesIO(identifier.encode()),
        filename="tricky.csv",
    )
    assert (summary.rows, summary.stored) == (len(TRICKY), len(TRICKY))
    session.expire_all()
    return list(
        session.scalars(select(Event).where(Event.feed_run_id == summary.id).order_by(Event.id))
    )


def test_awkward_text_is_stored_exactly(session: Session, net: Network) -> None:
    for identifier in ("x'); DROP TABLE event; --", "tab\tand\\backslash", ""):
        events = _ingest(session, net, identifier)
        assert len(events) == len(TRICKY)
        for event, local, city in zip(events, TRICKY, TRICKY[::-1], strict=True):
            expected: dict[str, Any] = {
                "source.local_hostname": local,
                "source.geolocation.city": city,
                "extra": {"note": local},
            }
            assert event.classification_identifier == identifier
            assert event.data == expected
            assert event.source_port is None
            assert event.time_source == T0
            assert event.first_seen == T0
            assert event.last_seen == T0
            assert event.count == 1
