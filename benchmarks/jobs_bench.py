"""How fast do the STIX and mapped-feed parsers read, and how many jobs a second do one and
two ``certnet worker`` processes take from the PostgreSQL queue?

* parsers: a generated STIX 2.1 bundle of N indicators (every one validated by ``stix2``)
  and a generated CSV of N rows through a mapping file, rows per second;
* queue (with ``--postgres URL``, a database certnet may migrate): N no-op jobs deferred,
  then drained by one worker process, then N more by two — jobs per second, wall clock
  from the workers' start (their start-up included) to the queue being empty.

Run: ``.venv/bin/python benchmarks/jobs_bench.py [--rows N] [--jobs N] [--postgres URL]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.db import migrate
from certnet.db.session import make_engine
from certnet.feeds.parsers.mapping import Mapping, MappingParser
from certnet.feeds.parsers.stix import REPORT_TYPE, StixParser
from certnet.jobs import Job, queue

REPO = Path(__file__).resolve().parent.parent


def noop(session_factory: sessionmaker[Session], settings: Settings, *, n: int) -> None:
    """A job that does nothing: what is measured is the queue."""


JOBS: tuple[Job, ...] = (Job("bench.noop", noop),)


def stix_bundle(rows: int) -> bytes:
    objects: list[dict[str, Any]] = []
    for i in range(rows):
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.UUID(int=i + 1, version=4)}",
                "created": "2026-11-28T09:00:00.000Z",
                "modified": "2026-11-28T09:00:00.000Z",
                "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']",
                "pattern_type": "stix",
                "valid_from": "2026-11-28T09:00:00Z",
                "indicator_types": ["malicious-activity"],
            }
        )
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    return json.dumps(bundle).encode()


def mapped_csv(rows: int) -> bytes:
    lines = ["ip,port,seen,note"]
    lines += [
        f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255},{i % 65536},2026-11-28T09:00:00Z,n{i % 7}"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


MAPPING = Mapping.from_dict(
    {
        "feed": {"report_type": "bench-list", "format": "csv"},
        "constants": {"classification.taxonomy": "other", "classification.type": "blocklist"},
        "fields": {"source.ip": "ip", "source.port": "port", "time.source": "seen"},
    }
)


def measure_parsers(rows: int) -> list[tuple[str, int, float]]:
    results = []
    data = stix_bundle(rows)
    started = time.perf_counter()
    read = sum(b.rows_read for b in StixParser().parse(io.BytesIO(data), report_type=REPORT_TYPE))
    results.append(("STIX bundle (stix2-validated)", read, time.perf_counter() - started))
    data = mapped_csv(rows)
    started = time.perf_counter()
    parser = MappingParser(MAPPING)
    read = sum(b.rows_read for b in parser.parse(io.BytesIO(data), report_type="bench-list"))
    results.append(("mapped CSV", read, time.perf_counter() - started))
    return results


def measure_queue(url: str, jobs: int, workers: int) -> float:
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = Settings(database_url=url)
    app = queue.make_app(settings, {j.name: j for j in JOBS}, lambda: sessionmaker(bind=engine))
    with app.open():
        for n in range(jobs):
            queue.defer(app, "bench.noop", n=n)
    env = {**os.environ, "CERTNET_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    command = [
        str(Path(sys.executable).with_name("certnet")), "worker", "--once",
        "--queues", "bench", "--jobs-module", "benchmarks.jobs_bench",
    ]  # fmt: skip
    started = time.perf_counter()
    processes = [subprocess.Popen(command, env=env, cwd=REPO) for _ in range(workers)]
    for process in processes:
        process.wait()
    elapsed = time.perf_counter() - started
    with engine.begin() as connection:
        done = connection.execute(
            text(
                "SELECT count(*) FROM procrastinate.procrastinate_jobs "
                "WHERE queue_name = 'bench' AND status = 'succeeded'"
            )
        ).scalar_one()
        connection.execute(
            text("DELETE FROM procrastinate.procrastinate_jobs WHERE queue_name = 'bench'")
        )
    engine.dispose()
    if done != jobs:
        raise SystemExit(f"only {done} of {jobs} jobs succeeded")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows per parser input")
    parser.add_argument("--jobs", type=int, default=2_000, help="jobs per queue run")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL certnet may migrate")
    args = parser.parse_args()
    print(f"{'input':32} {'rows':>8} {'seconds':>8} {'rows/s':>10}")
    for name, rows, seconds in measure_parsers(args.rows):
        print(f"{name:32} {rows:8d} {seconds:8.2f} {rows / seconds:10,.0f}")
    if not args.postgres:
        print("queue: give --postgres URL to measure the PostgreSQL job queue")
        return
    print(f"\n{'workers':>7} {'jobs':>7} {'seconds':>8} {'jobs/s':>8}  (worker start-up included)")
    for workers in (1, 2):
        seconds = measure_queue(args.postgres, args.jobs, workers)
        print(f"{workers:7d} {args.jobs:7d} {seconds:8.2f} {args.jobs / seconds:8,.0f}")


if __name__ == "__main__":
    main()
