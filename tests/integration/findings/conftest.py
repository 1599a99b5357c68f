"""Fixtures of the findings tests: the test network, Shadowserver ``scan_http`` reports of
chosen hosts on chosen days, and ingesting them through the feeds service (which brings the
findings up to date at its end)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from certnet.feeds import service as feeds
from certnet.feeds.parsers.schema_store import load_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.feeds.schemas import FeedRunSummary
from tests.factories import Network, build_network
from tests.shared_data import FEED_SAMPLES, shadowserver_file

SAMPLE = FEED_SAMPLES / "2024-02-05-scan_http-pk-geo.csv"
DAY1 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DAY3 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)

Host = tuple[str, int]
Ingest = Callable[..., FeedRunSummary]


def scan_http(hosts: Sequence[Host], seen: datetime) -> bytes:
    """A ``scan_http`` report naming ``hosts`` (address, port), scanned at ``seen``."""
    header, example = list(csv.reader(io.StringIO(SAMPLE.read_text())))[:2]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for position, (ip, port) in enumerate(hosts):
        row = dict(zip(header, example, strict=True))
        row.update(
            timestamp=seen.replace(second=position % 60).strftime("%Y-%m-%d %H:%M:%S"),
            ip=ip,
            port=str(port),
            hostname="",
        )
        writer.writerow([row[name] for name in header])
    return out.getvalue().encode()


@pytest.fixture(scope="session")
def parser() -> ShadowserverParser:
    return ShadowserverParser(load_schema(shadowserver_file("intelmq.json")))


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


@pytest.fixture
def ingest(session: Session, net: Network, parser: ShadowserverParser) -> Ingest:
    """Ingest a scan_http report of ``hosts`` seen on ``day`` as the national analyst."""

    def run(hosts: Sequence[Host], day: datetime, *, user: str = "national") -> FeedRunSummary:
        return feeds.ingest(
            session=session,
            principal=net.principal(session, user),
            parser=parser,
            stream=io.BytesIO(scan_http(hosts, day)),
            filename=f"{day:%Y-%m-%d}-scan_http-pk-geo.csv",
        )

    return run
