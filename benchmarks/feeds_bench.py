"""How fast does certnet ingest a Shadowserver report end to end, next to IntelMQ?

The daily job of a national CERT, on the IntelMQ peer baseline's own data
(``../shared/bench/intelmq``): a synthetic ``scan_http`` report and a constituency of ~2,000
organisations holding ~10,000 IPv4 prefixes (nested more-specifics included), made by
``gen_shadowserver.py`` with the same seed and sizes as IntelMQ's runs.

Per backend (SQLite in a file under ``--workdir``, PostgreSQL in databases of its own,
dropped and created afresh), in child processes:

1. **setup**, once per backend — migrate a fresh database, create the top CERT and one
   sectoral CERT per sector, import the generator's constituency through certnet's
   constituency import (system principal), install Shadowserver's schema. Timed, and not
   counted in the ingest figures;
2. **ingest**, per size, into a copy of the set-up database — the feed pipeline,
   ``certnet.feeds.pipeline.ingest``, as ``certnet feeds ingest`` calls it (commit after each
   batch): parse → check → enrich → deduplicate → store, what IntelMQ's bots do. (The
   command then derives findings from the run; that is the findings domain's work, not
   measured here.) The child reports wall seconds, its own CPU seconds, the PostgreSQL
   server process's CPU seconds, and its peak RSS (``VmHWM``: each ingest runs in a process
   of its own, so nothing else inflates it).

Then it checks every run's accounting (``rows = stored + duplicates + quarantined``), counts
the events owned by an organisation and the unowned ones, and prints one table with IntelMQ:
measured in the same run (``--intelmq quick``: its ``run_all.sh`` at 10,000 rows, one
repeat, as root) or the committed reference figures (``--intelmq reference``, labelled as
not measured in this run).

``--rows N`` adds a memory check on a bigger report: the 100,000-row report tiled until it
has N rows (each copy with other ports, so that its rows are new events), ingested on
SQLite, to show that peak RSS stays flat as the input grows.

Run: ``.venv/bin/python benchmarks/feeds_bench.py [--sizes 10000,100000] [--intelmq quick]
[--rows 2000000]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url

from certnet.config import get_settings
from certnet.constituency.importer import import_constituency
from certnet.constituency.schemas import CertCreate
from certnet.constituency.service import certs
from certnet.core.access import Principal
from certnet.db import migrate
from certnet.db.session import make_engine, session_factory
from certnet.feeds import pipeline
from certnet.feeds import service as feeds
from certnet.feeds.models import Event
from certnet.feeds.parsers import schema_store

REPO = Path(__file__).resolve().parent.parent
SEED = 20240205
MIB = 1024 * 1024

#: The generator's sectors, mapped onto the sectors of certnet's default profile (Pakistan's
#: CERT Rules 2023): the generator draws from NIS2-like sector names the profile does not
#: have. One sectoral CERT is created per profile sector used.
SECTOR_OF = {
    "communications": "telecom",
    "digital-infrastructure": "telecom",
    "hosting": "telecom",
    "postal": "telecom",
    "finance": "banking",
    "energy": "power",
    "water": "power",
    "chemicals": "oil_gas",
    "government": "government",
    "public-administration": "government",
    "space": "defence",
    "education": "education",
    "research": "education",
    "health": "health",
    "food": "health",
    "transport": "transport",
    "manufacturing": "revenue",
    "retail": "revenue",
}


# --- the child processes ----------------------------------------------------------------------


def _cert_handle(sector: str) -> str:
    """The short name of a sector's CERT (short names take no underscores)."""
    return f"{sector.replace('_', '-')}-cert"


def _server_cpu(connection: Any) -> float | None:
    """CPU seconds of the PostgreSQL backend serving ``connection`` (same machine only)."""
    pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _certnet_constituency(source: Path, target: Path) -> tuple[int, int]:
    """Rewrite the generator's ``constituency.csv`` (one prefix a line) as certnet's import
    CSV (one organisation a line, its prefixes joined by ``;``, its sectoral CERT)."""
    claims: dict[str, list[str]] = defaultdict(list)
    sector: dict[str, str] = {}
    with source.open(newline="") as handle:
        for row in csv.DictReader(handle):
            claims[row["org_id"]].append(row["prefix"])
            sector[row["org_id"]] = SECTOR_OF[row["sector"]]
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["organisation", "cert", "sector", "resources"])
        for org_id, prefixes in claims.items():
            writer.writerow(
                [org_id, _cert_handle(sector[org_id]), sector[org_id], ";".join(prefixes)]
            )
    return len(claims), sum(len(p) for p in claims.values())


def _peak_rss_mib() -> float:
    """This process's peak resident memory (``VmHWM``). Not ``ru_maxrss``: Linux carries
    that over ``exec`` from the forking parent, so a child would inherit the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_setup(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, create the CERTs, import the constituency and the schema; time each."""
    engine = make_engine(args.db)
    started = time.perf_counter()
    migrate.upgrade(engine)
    migrated = time.perf_counter() - started
    system = Principal.system("feeds-bench")
    converted = Path(args.var) / "constituency-certnet.csv"
    organisations, prefixes = _certnet_constituency(Path(args.constituency), converted)
    with session_factory(engine)() as session:
        started = time.perf_counter()
        top = certs.create_cert(
            session=session,
            principal=system,
            data=CertCreate(name="National CERT", short_name="national-cert", tier="national"),
        )
        session.flush()
        for code in sorted(set(SECTOR_OF.values())):
            certs.create_cert(
                session=session,
                principal=system,
                data=CertCreate(
                    name=f"{code.replace('_', ' ').title()} sectoral CERT",
                    short_name=_cert_handle(code),
                    tier="sectoral",
                    parent_id=top.id,
                    sector=code,
                ),
            )
        session.flush()
        certs_seconds = time.perf_counter() - started
        started = time.perf_counter()
        report = import_constituency(
            session=session,
            principal=system,
            content=converted.read_bytes(),
            filename=converted.name,
        )
        session.commit()
        constituency_seconds = time.perf_counter() - started
        started = time.perf_counter()
        schema_store.import_schema(
            session=session, principal=system, settings=get_settings(), source=Path(args.schema)
        )
        session.commit()
        schema_seconds = time.perf_counter() - started
    return {
        "migrate_s": round(migrated, 2),
        "certs_s": round(certs_seconds, 2),
        "constituency_s": round(constituency_seconds, 2),
        "schema_s": round(schema_seconds, 2),
        "organisations": organisations,
        "prefixes": prefixes,
        "organisations_created": report.organisations_created,
        "resources_added": report.resources_added,
    }


def child_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """One ingest as ``certnet feeds ingest`` does it; wall, CPU, server CPU, peak RSS."""
    engine = make_engine(args.db)
    report = Path(args.report)
    system = Principal.system("feeds-bench")
    baseline_rss = _peak_rss_mib()
    with session_factory(engine)() as session, report.open("rb") as stream:
        postgres = engine.dialect.name == "postgresql"
        connection = session.connection()
        server_before = _server_cpu(connection) if postgres else None
        cpu_before = time.process_time()
        started = time.perf_counter()
        summary = pipeline.ingest(
            session=session,
            principal=system,
            parser=feeds.parser_for("shadowserver"),
            stream=stream,
            filename=report.name,
            batch_size=args.batch_size,
            checkpoint=session.commit,
        )
        session.commit()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        server_after = _server_cpu(session.connection()) if postgres else None
        owned = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.feed_run_id == summary.id, Event.organisation_id.is_not(None))
        )
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.feed_run_id == summary.id)
        )
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    return {
        "rows": summary.rows,
        "stored": summary.stored,
        "duplicates": summary.duplicates,
        "quarantined": summary.quarantined,
        "unowned_rows": summary.unowned,
        "accounted": summary.accounted,
        "events": events,
        "owned_events": owned,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 3),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "baseline_rss_mib": round(baseline_rss, 1),
    }


# --- the parent: data, databases, runs, table -------------------------------------------------


@dataclass
class Result:
    contender: str
    backend: str
    rows: int
    events_per_s: float
    cpu_s: float | None
    peak_rss_mib: float | None
    note: str = ""


def run_child(mode: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run this script as a child in ``mode``; its last stdout line is its JSON answer."""
    command = [sys.executable, __file__, "--child", mode, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"child {mode} failed ({done.returncode})")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def generate(shared: Path, data: Path, rows: int) -> Path:
    """The generator's report of ``rows`` rows (and constituency.csv), made once and reused."""
    meta = data / f"meta-{rows}.json"
    if not meta.is_file():
        subprocess.run(
            [
                sys.executable,
                str(shared / "bench/intelmq/gen_shadowserver.py"),
                "-n",
                str(rows),
                "--seed",
                str(SEED),
                "--outdir",
                str(data),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return Path(json.loads(meta.read_text())["report"])


def tile(source: Path, target: Path, rows: int) -> Path:
    """A report of ``rows`` rows: ``source`` repeated, copy k with ports shifted by k*9001
    (mod 65536) so that its rows are other services, hence new events. Streams: the
    generator keeps a whole report in memory, which at millions of rows would not fit."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with source.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        body = list(reader)
    port = header.index("port")
    with partial.open("w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        written, copy = 0, 0
        while written < rows:
            for row in body[: rows - written]:
                if copy:
                    row = [*row]
                    row[port] = str((int(row[port]) + copy * 9001) % 65536)
                writer.writerow(row)
            written += min(len(body), rows - written)
            copy += 1
    partial.rename(target)
    return target


def fresh_database(backend: str, postgres_url: str, workdir: Path, label: str) -> str:
    """The URL of an empty database: a new SQLite file, or the PostgreSQL one recreated."""
    if backend == "sqlite":
        for leftover in workdir.glob(f"{label}.sqlite3*"):
            leftover.unlink()
        return f"sqlite:///{workdir / label}.sqlite3"
    url = make_url(postgres_url)
    name = f"{url.database}_{label.replace('-', '_')}"
    _postgres_admin(
        url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    return url.set(database=name).render_as_string(hide_password=False)


def clone_database(backend: str, template: str, workdir: Path, label: str) -> str:
    """A copy of the set-up database ``template`` for one ingest: a copied SQLite file, or
    ``CREATE DATABASE … TEMPLATE`` on PostgreSQL (the constituency import is the slow part
    of the setup, and every ingest must start from the same state)."""
    if backend == "sqlite":
        source = Path(make_url(template).database or "")
        for leftover in workdir.glob(f"{label}.sqlite3*"):
            leftover.unlink()
        for part in source.parent.glob(f"{source.name}*"):
            shutil.copy(part, workdir / part.name.replace(source.stem, label, 1))
        return f"sqlite:///{workdir / label}.sqlite3"
    url = make_url(template)
    name = f"{url.database}_{label.replace('-', '_')}"[:63]
    _postgres_admin(
        url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"',
    )
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(backend: str, database_url: str, workdir: Path) -> None:
    """Remove a database made by the benchmark."""
    url = make_url(database_url)
    if backend == "sqlite":
        path = Path(url.database or "")
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
    else:
        _postgres_admin(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def _postgres_admin(url: URL, *statements: str) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def set_up(args: argparse.Namespace, backend: str) -> tuple[str, Path, dict[str, Any]]:
    """A database of ``backend`` holding the CERTs, the constituency and the schema."""
    workdir: Path = args.workdir
    label = f"template-{backend}"
    url = fresh_database(backend, args.postgres_url, workdir, label)
    var = workdir / f"var-{backend}"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {**os.environ, "CERTNET_DATABASE_URL": url, "CERTNET_VAR_DIR": str(var)}
    setup = run_child(
        "setup",
        env,
        "--db",
        url,
        "--var",
        str(var),
        "--constituency",
        str(workdir / "data/constituency.csv"),
        "--schema",
        str(args.schema),
    )
    return url, var, setup


def measure_certnet(
    args: argparse.Namespace, backend: str, template: str, var: Path, report: Path, label: str
) -> dict[str, Any]:
    """Ingest ``report`` into a copy of the set-up database ``template``."""
    url = clone_database(backend, template, args.workdir, label)
    env = {**os.environ, "CERTNET_DATABASE_URL": url, "CERTNET_VAR_DIR": str(var)}
    try:
        return run_child(
            "ingest",
            env,
            "--db",
            url,
            "--var",
            str(var),
            "--report",
            str(report),
            "--batch-size",
            str(args.batch_size),
        )
    finally:
        if not args.keep:
            drop_database(backend, url, args.workdir)


def intelmq_quick(args: argparse.Namespace) -> dict[str, Any]:
    """IntelMQ's own harness at 10,000 rows, one repeat, now, on this machine."""
    bench_dir: Path = args.intelmq_dir or args.workdir / "intelmq"
    env = {
        **os.environ,
        "BENCH_DIR": str(bench_dir),
        "SIZES": "10000",
        # One space, not empty: run_all.sh's ${STAGED_SIZES:-10000} would take an empty one
        # as unset and run the per-stage benchmark too.
        "STAGED_SIZES": " ",
        "REPEAT": "1",
        "REDIS_PORT": str(args.intelmq_redis_port),
    }
    log = args.workdir / "intelmq-quick.log"
    with log.open("w") as handle:
        done = subprocess.run(
            ["/bin/bash", str(args.shared / "bench/intelmq/run_all.sh")],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"IntelMQ's run_all.sh failed ({done.returncode}); see {log}")
    answer: dict[str, Any] = json.loads((bench_dir / "results/e2e-10000.json").read_text())
    return answer


def intelmq_result(runs: dict[str, Any], note: str) -> Result:
    """The median run of one of IntelMQ's e2e result files."""
    ordered = sorted(runs["runs"], key=lambda r: r["events_per_s"])
    median = ordered[len(ordered) // 2]
    cpu = None
    if "cpu_s_per_bot" in median:
        cpu = sum(median["cpu_s_per_bot"].values()) + median.get("cpu_s_redis", 0.0)
    return Result(
        contender="IntelMQ 3.5.0",
        backend="redis + files",
        rows=runs["meta"]["rows"],
        events_per_s=median["events_per_s"],
        cpu_s=cpu,
        peak_rss_mib=median["peak_rss_mib_bots_sum"] + median.get("redis_rss_peak_mib", 0.0),
        note=note,
    )


def print_table(results: list[Result], peers: dict[int, Result]) -> None:
    """contender, backend, rows, events/s, CPU s, events per CPU s, peak RSS, and the
    ratios to IntelMQ (same size if IntelMQ ran it, else its smallest size)."""
    header = (
        "contender",
        "backend",
        "rows",
        "events/s",
        "CPU s",
        "events/CPU s",
        "peak RSS MiB",
        "x IntelMQ (wall)",
        "x IntelMQ (CPU)",
    )
    lines = [header]
    for r in results:
        peer = peers.get(r.rows) or (peers[min(peers)] if peers else None)
        wall_ratio = cpu_ratio = "-"
        if peer is not None and r is not peer:
            wall_ratio = f"{r.events_per_s / peer.events_per_s:,.0f}x"
            if r.cpu_s and peer.cpu_s:
                cpu_ratio = f"{(r.rows / r.cpu_s) / (peer.rows / peer.cpu_s):,.0f}x"
        lines.append(
            (
                r.contender,
                r.backend,
                f"{r.rows:,}",
                f"{r.events_per_s:,.0f}",
                "-" if r.cpu_s is None else f"{r.cpu_s:.2f}",
                "-" if not r.cpu_s else f"{r.rows / r.cpu_s:,.0f}",
                "-" if r.peak_rss_mib is None else f"{r.peak_rss_mib:,.0f}",
                wall_ratio,
                cpu_ratio,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    for r in results:
        if r.note:
            print(f"  {r.contender} / {r.backend} / {r.rows:,}: {r.note}")


def main(argv: list[str] | None = None) -> None:
    """Parse the options; run as the parent or as one of its child processes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "certnet-feeds-bench"
    )
    parser.add_argument("--sizes", default="10000,100000", help="report rows, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_feeds",
        help="a database the benchmark may drop and create",
    )
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument(
        "--intelmq",
        choices=["reference", "quick", "none"],
        default="reference",
        help="quick: measure IntelMQ now (run_all.sh, 10k rows, 1 repeat, root); "
        "reference: print the committed figures, not measured in this run",
    )
    parser.add_argument(
        "--intelmq-dir",
        type=Path,
        help="IntelMQ's BENCH_DIR (default <workdir>/intelmq; an installed one is reused)",
    )
    parser.add_argument("--intelmq-redis-port", type=int, default=6390)
    parser.add_argument("--rows", type=int, default=0, help="memory check: a report this big")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    # The child processes' options.
    parser.add_argument("--child", choices=["setup", "ingest"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--var", help=argparse.SUPPRESS)
    parser.add_argument("--constituency", help=argparse.SUPPRESS)
    parser.add_argument("--schema", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        answer = child_setup(args) if args.child == "setup" else child_ingest(args)
        print(json.dumps(answer))
        return
    args.schema = args.schema or args.shared / "data/shadowserver/intelmq.json"
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(size) for size in args.sizes.split(",") if size]
    backends = [backend for backend in args.backends.split(",") if backend]
    data = args.workdir / "data"

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    results: list[Result] = []
    # The sizes' reports, and the constituency the set-up imports (the memory check tiles
    # the 100,000-row report).
    for size in sorted(set(sizes) | ({100_000} if args.rows else set())):
        generate(args.shared, data, size)
    templates = {}
    for backend in sorted(set(backends) | ({"sqlite"} if args.rows else set())):
        templates[backend] = set_up(args, backend)
        _describe_setup(backend, templates[backend][2])
    for size in sizes:
        report = generate(args.shared, data, size)
        megabytes = report.stat().st_size / MIB
        for backend in backends:
            template, var, _ = templates[backend]
            ingest = measure_certnet(args, backend, template, var, report, f"n{size}-{backend}")
            _describe(size, megabytes, backend, ingest)
            results.append(_certnet_result(backend, ingest))

    if args.rows:
        base = generate(args.shared, data, 100_000)
        big = tile(base, data / f"tiled{args.rows}" / base.name, args.rows)
        megabytes = big.stat().st_size / MIB
        template, var, _ = templates["sqlite"]
        ingest = measure_certnet(args, "sqlite", template, var, big, f"tiled{args.rows}-sqlite")
        _describe(args.rows, megabytes, "sqlite (memory check)", ingest)
        results.append(_certnet_result("sqlite", ingest))
    if not args.keep:
        for backend, (template, _, _) in templates.items():
            drop_database(backend, template, args.workdir)

    peers: dict[int, Result] = {}
    if args.intelmq == "quick":
        print("\nIntelMQ: running its run_all.sh (10,000 rows, 1 repeat) …", flush=True)
        peers[10_000] = intelmq_result(intelmq_quick(args), "measured in this run")
    elif args.intelmq == "reference":
        folder = args.shared / "bench/intelmq/results"
        for name, size in (("e2e-10000-cpu.json", 10_000), ("e2e-100000.json", 100_000)):
            peers[size] = intelmq_result(
                json.loads((folder / name).read_text()),
                f"REFERENCE from results/{name}, NOT measured in this run",
            )
    print()
    print_table(results + list(peers.values()), peers)


def _certnet_result(backend: str, ingest: dict[str, Any]) -> Result:
    server = ingest["server_cpu_s"]
    cpu = ingest["cpu_s"] + (server or 0.0)
    return Result(
        contender="certnet",
        backend=backend,
        rows=ingest["rows"],
        events_per_s=ingest["rows"] / ingest["wall_s"],
        cpu_s=cpu,
        peak_rss_mib=ingest["peak_rss_mib"],
        note=""
        if server is None
        else f"CPU s = {ingest['cpu_s']:.2f} client + {server:.2f} server",
    )


def _describe_setup(backend: str, setup: dict[str, Any]) -> None:
    print(
        f"\nsetup on {backend}: migrate {setup['migrate_s']} s, CERTs {setup['certs_s']} s, "
        f"constituency import {setup['organisations']:,} organisations / "
        f"{setup['prefixes']:,} prefixes ({setup['resources_added']:,} claims added) in "
        f"{setup['constituency_s']} s, Shadowserver schema {setup['schema_s']} s",
        flush=True,
    )


def _describe(size: int, megabytes: float, backend: str, ingest: dict[str, Any]) -> None:
    accounted = ingest["rows"] == ingest["stored"] + ingest["duplicates"] + ingest["quarantined"]
    print(
        f"\n{size:,} rows ({megabytes:.1f} MiB) on {backend}\n"
        f"  ingest: {ingest['wall_s']} s wall, {ingest['cpu_s']} CPU s"
        + (f" (+ {ingest['server_cpu_s']} s PostgreSQL)" if ingest["server_cpu_s"] else "")
        + f", peak RSS {ingest['peak_rss_mib']} MiB (after imports {ingest['baseline_rss_mib']})"
        f"\n  rows {ingest['rows']:,} = stored {ingest['stored']:,} + duplicates "
        f"{ingest['duplicates']:,} + quarantined {ingest['quarantined']:,}: "
        f"{'accounted' if accounted and ingest['accounted'] else 'NOT ACCOUNTED'}\n"
        f"  events {ingest['events']:,}: owned {ingest['owned_events']:,}, unowned "
        f"{ingest['events'] - ingest['owned_events']:,} (unowned rows {ingest['unowned_rows']:,})",
        flush=True,
    )


if __name__ == "__main__":
    main()
