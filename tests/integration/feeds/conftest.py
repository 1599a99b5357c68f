"""Fixtures of the feed storage tests: the test network, and ingestion with the fake parser."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session

from certnet.feeds import service
from certnet.feeds.schemas import FeedRunSummary
from tests.factories import Network, build_network
from tests.integration.feeds.fakes import ScanTestParser, report

Ingest = Callable[..., FeedRunSummary]


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


@pytest.fixture
def ingest(session: Session, net: Network) -> Ingest:
    """Ingest ``rows`` (a scan_test report) as ``user`` (default: the national analyst)."""

    def run(
        rows: Sequence[Sequence[Any]] | bytes,
        *,
        user: str = "national",
        parser: ScanTestParser | None = None,
        **options: Any,
    ) -> FeedRunSummary:
        content = rows if isinstance(rows, bytes) else report(rows)
        return service.ingest(
            session=session,
            principal=net.principal(session, user),
            parser=parser or ScanTestParser(),
            stream=io.BytesIO(content),
            filename="scan_test.csv",
            **options,
        )

    return run
