"""``update_from_run`` and ``notify_due`` are set-based: the number of statements does not
grow with the number of events or findings (below one chunk of 5,000)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from certnet.feeds import pipeline
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.findings import service
from tests.factories import Network
from tests.integration.findings.conftest import DAY1, DAY2, DAY3, scan_http


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    connection = session.connection()

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def _hosts(count: int, first: int = 0) -> list[tuple[str, int]]:
    return [(f"203.0.113.{i % 120}", 1000 + i // 120) for i in range(first, first + count)]


def test_statements_do_not_grow_with_the_events(
    session: Session, net: Network, parser: ShadowserverParser
) -> None:
    national = net.principal(session, "national")

    def stored(hosts: list[tuple[str, int]], day: datetime) -> int:
        # The pipeline alone: the findings are brought up to date under measurement below.
        return pipeline.ingest(
            session=session,
            principal=national,
            parser=parser,
            stream=io.BytesIO(scan_http(hosts, day)),
            filename=f"{day:%Y-%m-%d}-scan_http-pk.csv",
        ).id

    def measured(step: Callable[[], object]) -> int:
        with counting(session) as statements:
            step()
        return len(statements)

    def update(run_id: int) -> int:
        return measured(lambda: service.update_from_run(session=session, run_id=run_id))

    def notify(now: datetime) -> int:
        return measured(lambda: service.notify_due(session=session, now=now))

    # Opening 5 findings costs what opening 600 costs.
    opened_few = update(stored(_hosts(5), DAY1))
    notified_few = notify(DAY1 + timedelta(hours=1))
    opened_many = update(stored(_hosts(600, first=5), DAY2))
    notified_many = notify(DAY2 + timedelta(hours=1))
    assert opened_many <= opened_few + 2  # plus the verification of the 5 gone
    assert notified_many == notified_few
    # Seeing 600 again costs what seeing 5 again and verifying the 595 gone costs, less
    # the verification's history insert and update.
    seen_many = update(stored(_hosts(600, first=5), DAY3))
    seen_few = update(stored(_hosts(5, first=5), DAY3 + timedelta(days=1)))
    assert seen_few == seen_many + 2
