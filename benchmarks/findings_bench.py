"""How fast does certnet follow findings at scale: ``update_from_run`` and ``notify_due`` on
a 100,000-event report, on SQLite and PostgreSQL.

Per backend, on a fresh database:

1. **setup** (not timed) — the top CERT, a sectoral CERT, ``--organisations`` organisations
   (default 200) each claiming a /20 and with one security contact, through the
   constituency services;
2. **day 1** — a ``scan_http`` report of ``--events`` rows (default 100,000), spread over
   the organisations, stored by the feed pipeline (``certnet.feeds.pipeline.ingest``, timed
   apart), then ``findings.service.update_from_run`` (every finding opened) and
   ``notify_due`` (one notification per organisation, each rendered with its CSV of events
   and put in the outbox);
3. **day 2** — the same report with 30% of the hosts gone and as many new: stored, then
   ``update_from_run`` again (70% seen again, 30% opened, 30% verified fixed).

Each step runs in its own transaction and is committed; the figures are wall seconds and
findings per second.

Run: ``.venv/bin/python benchmarks/findings_bench.py [--events 100000]
[--postgres postgresql+psycopg://postgres@127.0.0.1:5432/DB]`` (the PostgreSQL database's
``public`` schema is dropped and created afresh).
"""

from __future__ import annotations

import argparse
import io
import ipaddress
import platform
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import ContactRole
from certnet.constituency.schemas import (
    CertCreate,
    ContactCreate,
    OrganisationCreate,
    ResourceCreate,
)
from certnet.core.access import Principal
from certnet.db import migrate
from certnet.db.session import make_engine, session_factory
from certnet.feeds import pipeline
from certnet.feeds.batch import ParsedBatch
from certnet.findings import service as findings
from certnet.findings.models import Finding
from certnet.notifications.models import OutboxMessage

SYSTEM = Principal.system("findings benchmark")
DAY1 = datetime(2026, 11, 1, 6, tzinfo=UTC)
BATCH = 50_000


class BenchParser:
    """Hands the pipeline prepared ``scan_http`` columns (parsing is the feeds' benchmark)."""

    source = "shadowserver"

    def __init__(self, hosts: list[tuple[str, int]], seen: datetime) -> None:
        self.hosts = hosts
        self.seen = seen

    def detect(self, filename: str | None, head: bytes) -> str | None:
        return "scan_http"

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = BATCH
    ) -> Iterator[ParsedBatch]:
        stream.read()
        for start in range(0, len(self.hosts), batch_size):
            chunk = self.hosts[start : start + batch_size]
            size = len(chunk)
            yield ParsedBatch(
                report_type="scan_http",
                columns={
                    "time.source": [self.seen] * size,
                    "source.ip": [ip for ip, _ in chunk],
                    "source.port": [port for _, port in chunk],
                    "protocol.transport": ["tcp"] * size,
                    "protocol.application": ["http"] * size,
                    "classification.taxonomy": ["other"] * size,
                    "classification.type": ["other"] * size,
                    "classification.identifier": ["accessible-http"] * size,
                },
                extra=[{"server": "nginx"}] * size,
                lines=list(range(start + 2, start + 2 + size)),
                raw=[f"{ip},{port}" for ip, port in chunk],
            )


def setup(engine: Engine, organisations: int) -> list[ipaddress.IPv4Network]:
    migrate.upgrade(engine)
    networks = list(ipaddress.IPv4Network("10.0.0.0/8").subnets(new_prefix=20))[:organisations]
    with session_factory(engine).begin() as session:
        top = constituency.create_cert(
            session=session,
            principal=SYSTEM,
            data=CertCreate(name="Bench National CERT", short_name="bench", tier="national"),
        )
        sector = constituency.create_cert(
            session=session,
            principal=SYSTEM,
            data=CertCreate(
                name="Bench Banking CERT",
                short_name="benchbank",
                tier="sectoral",
                parent_id=top.id,
                sector="banking",
            ),
        )
        for number, network in enumerate(networks):
            org = constituency.create_organisation(
                session=session,
                principal=SYSTEM,
                data=OrganisationCreate(
                    name=f"Bench Bank {number:04d}", cert_id=sector.id, sector="banking"
                ),
            )
            constituency.add_resource(
                session=session,
                principal=SYSTEM,
                organisation_id=org.id,
                data=ResourceCreate(value=str(network)),
            )
            constituency.create_contact(
                session=session,
                principal=SYSTEM,
                organisation_id=org.id,
                data=ContactCreate(
                    name="SOC", role=ContactRole.SECURITY, email=f"soc{number}@bank.example.pk"
                ),
            )
    return networks


def hosts_for(
    networks: list[ipaddress.IPv4Network], events: int, rng: random.Random
) -> list[tuple[str, int]]:
    per = events // len(networks) + 1
    chosen: list[tuple[str, int]] = []
    for network in networks:
        base = int(network.network_address)
        for offset in rng.sample(range(1, network.num_addresses - 1), min(per, 4000)):
            chosen.append((str(ipaddress.IPv4Address(base + offset)), 80))
    rng.shuffle(chosen)
    return chosen[:events]


def _step(
    engine: Engine,
    label: str,
    action: Callable[[Session], Any],
    count_of: Callable[[Any], int],
) -> tuple[str, float, int]:
    """Run ``action`` in one committed transaction; (label, wall seconds, rows handled)."""
    started = time.perf_counter()
    with session_factory(engine).begin() as session:
        outcome = action(session)
    elapsed = time.perf_counter() - started
    return label, elapsed, count_of(outcome)


def run(engine: Engine, *, organisations: int, events: int) -> list[tuple[str, float, int]]:
    rng = random.Random(20261129)  # repeatable benchmark data, not a secret
    started = time.perf_counter()
    networks = setup(engine, organisations)
    print(f"  setup: {organisations} organisations in {time.perf_counter() - started:.1f} s")
    day1 = hosts_for(networks, events, rng)
    kept = day1[: int(len(day1) * 0.7)]
    fresh = hosts_for(networks, len(day1) - len(kept), random.Random(7))
    known = set(kept)
    day2 = kept + [h for h in fresh if h not in known]
    figures: list[tuple[str, float, int]] = []

    def ingest(hosts: list[tuple[str, int]], seen: datetime, name: str) -> Callable[[Session], Any]:
        def action(session: Session) -> Any:
            return pipeline.ingest(
                session=session,
                principal=SYSTEM,
                parser=BenchParser(hosts, seen),
                stream=io.BytesIO(name.encode()),
                filename=name,
                batch_size=BATCH,
            )

        return action

    run1 = _step(
        engine,
        "day 1: store events (feeds pipeline)",
        ingest(day1, DAY1, "day1"),
        lambda s: s.stored,
    )
    figures.append(run1)
    with session_factory(engine)() as session:
        first_run = session.scalar(text("SELECT max(id) FROM feed_run"))
    figures.append(
        _step(
            engine,
            "day 1: update_from_run (all opened)",
            lambda s: findings.update_from_run(session=s, run_id=first_run),
            lambda r: r.opened,
        )
    )
    figures.append(
        _step(
            engine,
            "day 1: notify_due (render, CSV, outbox)",
            lambda s: findings.notify_due(session=s, now=DAY1 + timedelta(hours=2)),
            lambda r: r.findings,
        )
    )
    figures.append(
        _step(
            engine,
            "day 2: store events (feeds pipeline)",
            ingest(day2, DAY1 + timedelta(days=1), "day2"),
            lambda s: s.stored + s.duplicates,
        )
    )
    with session_factory(engine)() as session:
        second_run = session.scalar(text("SELECT max(id) FROM feed_run"))
    figures.append(
        _step(
            engine,
            "day 2: update_from_run (seen/opened/verified)",
            lambda s: findings.update_from_run(session=s, run_id=second_run),
            lambda r: r.opened + r.seen_again + r.verified,
        )
    )
    with session_factory(engine)() as session:
        total = session.scalar(select(func.count()).select_from(Finding))
        mails = session.scalar(select(func.count()).select_from(OutboxMessage))
    print(f"  {total:,} findings, {mails:,} mails queued")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to measure as well")
    args = parser.parse_args()
    print(
        f"findings benchmark: {args.events:,} events over {args.organisations} organisations; "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    results: dict[str, list[tuple[str, float, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        print("sqlite:")
        results["sqlite"] = run(engine, organisations=args.organisations, events=args.events)
        engine.dispose()
    if args.postgres:
        engine = make_engine(args.postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        print("postgresql:")
        results["postgresql"] = run(engine, organisations=args.organisations, events=args.events)
        engine.dispose()
    print()
    print(f"{'engine':<11} {'step':<46} {'seconds':>8} {'rows':>9} {'rows/s':>10}")
    for backend, figures in results.items():
        for label, seconds, count in figures:
            rate = count / seconds if seconds else 0.0
            print(f"{backend:<11} {label:<46} {seconds:>8.2f} {count:>9,} {rate:>10,.0f}")


if __name__ == "__main__":
    main()
