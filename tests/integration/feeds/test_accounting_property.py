"""Property: whatever the batches hold (bad addresses, parser rejects, repeats within and
across batches, rows without times), every row is accounted for exactly once and a second
ingestion of the same rows changes no event."""

from __future__ import annotations

import io
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.feeds import service
from certnet.feeds.batch import ParsedBatch, Rejected
from certnet.feeds.models import Event, QuarantinedRow
from tests.factories import Network
from tests.integration.feeds.fakes import DAY, BatchParser

ADDRESSES = ["203.0.113.7", "203.0.113.200", "198.51.100.9", "8.8.8.8", "2001:db8::1", "bad", None]

row = st.tuples(
    st.sampled_from(ADDRESSES),
    st.sampled_from([22, 80, 443, None]),
    st.one_of(st.none(), st.integers(0, 72).map(lambda h: DAY + timedelta(hours=h))),
    st.booleans(),  # rejected by the parser
)
batches = st.lists(st.lists(row, max_size=25), min_size=1, max_size=4)


def _batch(rows: list[tuple[object, ...]], first_line: int) -> ParsedBatch:
    batch = ParsedBatch(
        report_type="scan_prop",
        columns={"source.ip": [], "source.port": [], "time.source": []},
    )
    for line, (ip, port, moment, rejected) in enumerate(rows, start=first_line):
        raw = f"{ip},{port},{moment}"
        if rejected:
            batch.rejected.append(Rejected(line, raw, "rejected by the parser"))
            continue
        batch.columns["source.ip"].append(ip)
        batch.columns["source.port"].append(port)
        batch.columns["time.source"].append(moment)
        batch.lines.append(line)
        batch.raw.append(raw)
    return batch


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    session.expire_all()
    return sorted(
        session.execute(
            select(Event.fingerprint, Event.first_seen, Event.last_seen, Event.count)
        ).all()
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=batches)
def test_every_row_is_accounted_for_once(
    session: Session, net: Network, data: list[list[tuple[object, ...]]]
) -> None:
    national = net.principal(session, "national")
    parsed, line = [], 2
    for rows in data:
        parsed.append(_batch(rows, line))
        line += len(rows)
    total = sum(len(rows) for rows in data)
    bad = sum(1 for rows in data for ip, _, _, rejected in rows if rejected or ip == "bad")
    scope = session.begin_nested()
    try:
        summary = service.ingest(
            session=session,
            principal=national,
            parser=BatchParser(parsed),
            stream=io.BytesIO(b"first"),
            filename=None,
        )
        assert summary.rows == total
        assert summary.stored + summary.duplicates + summary.quarantined == total
        assert summary.accounted
        assert summary.quarantined == bad
        stored = session.scalar(select(func.count()).select_from(Event))
        quarantined = session.scalar(select(func.count()).select_from(QuarantinedRow))
        assert (stored, quarantined) == (summary.stored, summary.quarantined)
        # Each accepted row is either a new event or one sighting of an event.
        counted = session.scalar(select(func.sum(Event.count))) or 0
        assert summary.stored <= counted <= summary.stored + summary.duplicates
        before = _snapshot(session)
        again = service.ingest(
            session=session,
            principal=national,
            parser=BatchParser(parsed),
            stream=io.BytesIO(b"second"),  # other bytes: not recognised as the same file
            filename=None,
        )
        assert (again.stored, again.duplicates + again.quarantined) == (0, total)
        assert _snapshot(session) == before
    finally:
        scope.rollback()
