"""Findings for the browser tests, written into the live server's database as a day's
work would leave them: a Shadowserver report ingested through the feeds service (which
opens the findings), then notified."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from certnet.core import clock
from certnet.core.access import Principal
from certnet.db import models as _all_tables  # noqa: F401 — every mapper, as the server has
from certnet.db.session import make_engine, unit_of_work
from certnet.feeds import service as feeds
from certnet.feeds.parsers.schema_store import load_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.findings import service as findings
from tests.e2e.conftest import LiveServer
from tests.shared_data import FEED_SAMPLES, shadowserver_file


def shadowserver_report(
    report_type: str, hosts: Sequence[tuple[str, int]], seen: datetime
) -> bytes:
    """A report of ``report_type`` naming ``hosts``, modelled on the committed sample."""
    sample = FEED_SAMPLES / f"2024-02-05-{report_type}-pk-geo.csv"
    header, example = list(csv.reader(io.StringIO(sample.read_text())))[:2]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for position, (ip, port) in enumerate(hosts):
        row = dict(zip(header, example, strict=True))
        row.update(
            timestamp=seen.replace(second=position % 60).strftime("%Y-%m-%d %H:%M:%S"),
            ip=ip,
            port=str(port),
        )
        writer.writerow([row[name] for name in header])
    return out.getvalue().encode()


def seed_findings(server: LiveServer, report_type: str, hosts: Sequence[tuple[str, int]]) -> None:
    """Ingest and notify, committed, in the server's own SQLite file."""
    engine = make_engine(f"sqlite:///{server.var_dir.parent / 'certnet.sqlite3'}")
    parser = ShadowserverParser(load_schema(shadowserver_file("intelmq.json")))
    now = clock.now().replace(microsecond=0)
    try:
        with unit_of_work(engine) as session:
            principal = Principal.system("browser test")
            feeds.ingest(
                session=session,
                principal=principal,
                parser=parser,
                stream=io.BytesIO(shadowserver_report(report_type, hosts, now)),
                filename=f"{now:%Y-%m-%d}-{report_type}-e2e.csv",
            )
            findings.notify_due(session=session, now=now, principal=principal)
    finally:
        engine.dispose()
