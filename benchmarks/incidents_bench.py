"""How fast are the CERT queue and the correlation lookup with 1M incidents and 10M
observables in PostgreSQL, and how big is the correlation index?

1. **generate** — a fresh database (``--url``, dropped and created), migrated to head; a
   reporting line like Pakistan's (National → Government → Federal, 7 Provincial, 11
   Sectoral; CII CERTs under three sectoral ones) and ``--orgs`` organisations; then
   ``--incidents`` incidents and ``--observables-per-incident`` observables each, bulk-loaded
   with COPY (indexes and foreign keys dropped during the load and rebuilt after, as a bulk
   load should). Distributions: sectors weighted (banking and telecom largest); incidents of
   the last 30 days in every state (80% closed, resolved or rejected), older ones done but for
   2% left open; 3% escalated to the National CERT;
   TLP mostly AMBER and GREEN with some AMBER+STRICT and RED; observables drawn 30% from a
   pool of shared indicators (so incidents correlate) and 70% unique.
2. **measure** — through certnet's own service functions, as a sectoral CERT's analyst and as
   the National CERT's: the queue's first page for varied filters (open work; a status;
   overdue; a severity and an RSIT class; a title search) and its counts per status and
   deadline state; the correlation lookup of observables (shared and unique). p50/p95/max
   over ``--repeat`` runs each, after a warm-up.
3. **explain** — the queue's SQL with EXPLAIN (ANALYZE, BUFFERS), to show it runs on the
   ``(handling|owner)_cert_id, status, id`` indexes, and the lookup's plan on
   ``uq_incident_observable_value_hash_incident_id``.
4. **sizes** — the correlation index next to the observables table and its other index.

Run: ``.venv/bin/python benchmarks/incidents_bench.py --scale 0.01`` (10k incidents) first,
then ``--scale 1`` (1M incidents, 10M observables). ``--skip-generate`` measures an existing
database again.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from certnet.core.access import CertTree, Principal, Role, build_principal
from certnet.db import migrate
from certnet.incidents import service
from certnet.incidents.models import (
    Incident,
    IncidentObservable,
    IncidentStatus,
    ObservableKind,
    Severity,
)
from certnet.incidents.observables import value_hash
from certnet.incidents.schemas import IncidentFilter

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SECTORS = {  # sector → weight of incidents
    "banking": 18,
    "telecom": 16,
    "power": 8,
    "oil_gas": 6,
    "media": 4,
    "revenue": 5,
    "defence": 3,
    "government": 15,
    "health": 9,
    "education": 10,
    "transport": 6,
}
PROVINCES = ["punjab", "sindh", "kp", "balochistan", "ajk", "gb", "ict"]
RSIT = {
    "malicious-code": ["infected-system", "c2-server", "malware-distribution"],
    "intrusions": ["system-compromise", "application-compromise", "privileged-account-compromise"],
    "availability": ["ddos", "dos", "outage"],
    "fraud": ["phishing", "masquerade"],
    "information-gathering": ["scanner"],
    "intrusion-attempts": ["brute-force", "exploit"],
    "information-content-security": ["data-leak", "unauthorised-information-access"],
    "vulnerable": ["vulnerable-system"],
}
STATUS_WEIGHTS = {
    "closed": 62,
    "resolved": 12,
    "rejected": 4,
    "duplicate": 2,
    "new": 5,
    "triaged": 4,
    "in_progress": 6,
    "contained": 5,
}
TLP_WEIGHTS = {"AMBER": 55, "GREEN": 30, "CLEAR": 5, "AMBER+STRICT": 7, "RED": 3}
SEVERITIES = ["low", "medium", "high", "critical"]


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def _copy(engine: Engine, table: str, columns: list[str], rows: Iterator[str]) -> int:
    """COPY text lines (tab-separated, ``\\N`` for NULL) into ``table``, in 8 MB chunks."""
    raw = engine.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for line in rows:
                buffer.write(line)
                count += 1
                if buffer.tell() > 8_000_000:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()
    return count


def _fresh_database(url: str) -> Engine:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url)
    migrate.upgrade(engine)
    return engine


def _network(engine: Engine, orgs: int, rng: random.Random) -> dict[str, Any]:
    """CERTs and organisations, inserted directly (a few thousand rows)."""
    certs: list[tuple[int, str, str, int | None, str | None, str | None]] = []

    def add(
        short: str,
        tier: str,
        parent: int | None,
        sector: str | None = None,
        province: str | None = None,
    ) -> int:
        ident = len(certs) + 1
        certs.append((ident, short, tier, parent, sector, province))
        return ident

    national = add("pkcert", "national", None)
    government = add("govcert", "government", national)
    federal = add("fedcert", "federal", government)
    provincial = {p: add(f"{p}cert", "provincial", government, province=p) for p in PROVINCES}
    sectoral = {s: add(f"{s}cert", "sectoral", government, sector=s) for s in SECTORS}
    cii = {s: add(f"{s}cii", "cii", sectoral[s]) for s in ("banking", "telecom", "power")}
    stamp = ts(NOW - timedelta(days=800))
    _copy(
        engine,
        "cert",
        [
            "id",
            "name",
            "short_name",
            "tier",
            "parent_id",
            "sector",
            "province",
            "operating_hours",
            "created_at",
            "updated_at",
        ],
        (
            f"{i}\t{short.upper()} CERT\t{short}\t{tier}\t{parent or chr(92) + 'N'}\t"
            f"{sector or chr(92) + 'N'}\t{province or chr(92) + 'N'}\t24/7\t{stamp}\t{stamp}\n"
            for i, short, tier, parent, sector, province in certs
        ),
    )
    organisations: list[tuple[int, int, str, str | None]] = []
    weights = list(SECTORS.values())
    for ident in range(1, orgs + 1):
        sector = rng.choices(list(SECTORS), weights)[0]
        province = rng.choice(PROVINCES)
        if sector == "government":
            cert = provincial[province] if rng.random() < 0.6 else federal
        elif sector in cii and rng.random() < 0.1:
            cert = cii[sector]
        else:
            cert = sectoral[sector]
        organisations.append((ident, cert, sector, province))
    _copy(
        engine,
        "organisation",
        ["id", "name", "cert_id", "sector", "province", "cii", "created_at", "updated_at"],
        (
            f"{i}\tOrganisation {i}\t{cert}\t{sector}\t{province}\tfalse\t{stamp}\t{stamp}\n"
            for i, cert, sector, province in organisations
        ),
    )
    with engine.begin() as connection:
        for table in ("cert", "organisation"):
            connection.execute(text(_RESET_SEQUENCE.format(table=table)))
    return {
        "certs": certs,
        "orgs": organisations,
        "national": national,
        "sectoral": sectoral,
        "government": government,
    }


def _drop_load_obstacles(engine: Engine) -> list[Any]:
    """Drop the indexes and foreign keys of the two big tables; return what to recreate."""
    recreate: list[Any] = []
    with engine.begin() as connection:
        tables: tuple[Table, ...] = (IncidentObservable.__table__, Incident.__table__)  # type: ignore[assignment]
        for table in tables:
            for fk in table.foreign_key_constraints:
                connection.execute(DropConstraint(fk))
                recreate.append(AddConstraint(fk))
            for index in table.indexes:
                connection.execute(DropIndex(index))
                recreate.append(CreateIndex(index))
            for constraint in table.constraints:
                if constraint.__class__.__name__ == "UniqueConstraint":
                    connection.execute(DropConstraint(constraint))
                    recreate.append(AddConstraint(constraint))
    return recreate


def _incident_rows(n: int, net: dict[str, Any], rng: random.Random) -> Iterator[str]:
    orgs = net["orgs"]
    statuses, status_w = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    tlps, tlp_w = list(TLP_WEIGHTS), list(TLP_WEIGHTS.values())
    classes = list(RSIT)
    null = "\\N"
    span = 730 * 24 * 3600
    for ident in range(1, n + 1):
        org_id, cert, sector, _ = orgs[rng.randrange(len(orgs))]
        reported = NOW - timedelta(seconds=int(span * (1 - ident / n) ** 1.3))
        # Work in hand is recent: incidents of the last 30 days are in every state; older
        # ones are done (closed, rejected, duplicate) but for 2% left open.
        if NOW - reported < timedelta(days=30) or rng.random() < 0.02:
            status = rng.choices(statuses, status_w)[0]
        else:
            status = rng.choices(("closed", "rejected", "duplicate"), (94, 4, 2))[0]
        aware = reported - timedelta(minutes=rng.randint(5, 600))
        handling = net["national"] if rng.random() < 0.03 else cert
        open_ = status in ("new", "triaged", "in_progress", "contained", "resolved")
        next_due = (
            ts(aware + timedelta(hours=rng.choice((24, 72, 720))))
            if open_ and status != "resolved"
            else null
        )
        ack = (
            ts(reported + timedelta(hours=rng.uniform(0.2, 30)))
            if status not in ("new", "rejected")
            else null
        )
        contained = (
            ts(reported + timedelta(hours=rng.uniform(2, 90)))
            if status in ("contained", "resolved", "closed")
            else null
        )
        resolved = (
            ts(reported + timedelta(hours=rng.uniform(10, 400)))
            if status in ("resolved", "closed")
            else null
        )
        closed = (
            ts(reported + timedelta(hours=rng.uniform(400, 900))) if status == "closed" else null
        )
        escalated = ts(reported) if handling != cert else null
        rclass = classes[rng.randrange(len(classes))]
        rtype = rng.choice(RSIT[rclass])
        title = f"{rtype.replace('-', ' ')} at organisation {org_id} #{ident}"
        yield (
            f"{ident}\t{cert}\t{org_id}\t{handling}\tpk_cert_rules_2023\t{title}\t\tportal\t{null}\t"
            f"{null}\t{null}\t{status}\t{rng.choice(SEVERITIES)}\t{rclass}\t{rtype}\t{null}\t{null}\t"
            f"{null}\t{rng.choices(tlps, tlp_w)[0]}\tAMBER\t{sector}\t{ts(aware)}\t{null}\t"
            f"{ts(reported)}\t[]\t{null}\t{null}\tfalse\t{null}\tfalse\tfalse\t[]\t[]\t{null}\t"
            f"{next_due}\t{null}\t{null}\t{escalated}\t{ack}\t{contained}\t{resolved}\t{closed}\t"
            f"{ts(reported)}\t{ts(reported)}\n"
        )


#: The running tally the service keeps (``service/tally.py``), filled once after the load.
FILL_TALLY = """
INSERT INTO incident_tally (organisation_id, handler, status, tlp, count)
SELECT organisation_id,
       CASE WHEN handling_cert_id <> owner_cert_id THEN handling_cert_id ELSE 0 END,
       status, tlp, count(*)
FROM incident GROUP BY 1, 2, 3, 4
"""

#: Tables are the benchmark's own constants, never input.
_RESET_SEQUENCE = (
    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
)

INCIDENT_COLUMNS = [
    "id",
    "owner_cert_id",
    "organisation_id",
    "handling_cert_id",
    "profile_id",
    "title",
    "description",
    "channel",
    "reporter_user_id",
    "reporter_name",
    "reporter_email",
    "status",
    "severity",
    "rsit_class",
    "rsit_type",
    "certin_type",
    "root_cause",
    "outlook",
    "tlp",
    "pap",
    "sector",
    "became_aware_at",
    "started_at",
    "reported_at",
    "services_affected",
    "users_affected",
    "data_affected",
    "cross_border",
    "financial_loss",
    "harm_to_others",
    "cii_involved",
    "sectors_affected",
    "provinces_affected",
    "assignee_user_id",
    "next_due_at",
    "merged_into_id",
    "status_before_merge",
    "escalated_at",
    "acknowledged_at",
    "contained_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
]


def shared_value(i: int) -> tuple[ObservableKind, str]:
    """The i-th indicator of the shared pool."""
    if i % 3 == 0:
        return ObservableKind.IPV4, f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    if i % 3 == 1:
        return ObservableKind.DOMAIN, f"bad{i}.example.net"
    return ObservableKind.SHA256, hashlib.sha256(f"sample{i}".encode()).hexdigest()


def unique_value(incident: int, k: int) -> tuple[ObservableKind, str]:
    if k % 2 == 0:
        return ObservableKind.URL, f"http://host{incident}.example.org/p{k}"
    return ObservableKind.MD5, hashlib.md5(f"{incident}:{k}".encode()).hexdigest()  # noqa: S324 - test data


def _observable_rows(n: int, per: int, pool: int, rng: random.Random) -> Iterator[str]:
    ident = 0
    created = ts(NOW)
    for incident in range(1, n + 1):
        seen: set[int] = set()
        for k in range(per):
            kind, value = (
                shared_value(rng.randrange(pool))
                if rng.random() < 0.3
                else unique_value(incident, k)
            )
            digest = value_hash(kind, value)
            if digest in seen:
                continue
            seen.add(digest)
            ident += 1
            yield f"{ident}\t{incident}\t{kind.value}\t{value}\t{digest}\t{created}\n"


def generate(url: str, scale: float, per: int, orgs: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    n = max(1000, int(1_000_000 * scale))
    pool = max(1000, n // 5)
    started = time.perf_counter()
    engine = _fresh_database(url)
    net = _network(engine, orgs, rng)
    recreate = _drop_load_obstacles(engine)
    t0 = time.perf_counter()
    incidents = _copy(engine, "incident", INCIDENT_COLUMNS, _incident_rows(n, net, rng))
    t1 = time.perf_counter()
    observables = _copy(
        engine,
        "incident_observable",
        ["id", "incident_id", "kind", "value", "value_hash", "created_at"],
        _observable_rows(n, per, pool, rng),
    )
    t2 = time.perf_counter()
    with engine.begin() as connection:
        for statement in recreate:
            connection.execute(statement)
        for table in ("incident", "incident_observable"):
            connection.execute(text(_RESET_SEQUENCE.format(table=table)))
        connection.execute(text(FILL_TALLY))
    t3 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE incident"))
        connection.execute(text("VACUUM ANALYZE incident_observable"))
    t4 = time.perf_counter()
    engine.dispose()
    return {
        "incidents": incidents,
        "observables": observables,
        "shared_pool": pool,
        "copy_incidents_s": round(t1 - t0, 1),
        "copy_observables_s": round(t2 - t1, 1),
        "indexes_and_keys_s": round(t3 - t2, 1),
        "vacuum_analyze_s": round(t4 - t3, 1),
        "total_s": round(t4 - started, 1),
    }


def _principal(
    session: Session, cert_id: int, tree: CertTree, role: Role = Role.ANALYST
) -> Principal:
    return build_principal(
        user_id=10**9,
        name=f"bench@{cert_id}",
        role=role,
        cert_id=cert_id,
        organisation_id=None,
        home_cert_id=cert_id,
        tree=tree,
    )


def _time(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def _list_call(session: Session, principal: Principal, f: IncidentFilter) -> Callable[[], Any]:
    return lambda: service.list_incidents(
        session=session, principal=principal, filters=f, now=NOW, limit=50
    )


def _counts_call(session: Session, principal: Principal, f: IncidentFilter) -> Callable[[], Any]:
    return lambda: service.counts(session=session, principal=principal, filters=f, now=NOW)


def measure(url: str, repeat: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    engine = create_engine(url)
    results: dict[str, Any] = {}
    with Session(engine) as session:
        tree = CertTree.from_pairs(
            (r[0], r[1]) for r in session.execute(text("SELECT id, parent_id FROM cert"))
        )
        shorts = {r[0]: r[1] for r in session.execute(text("SELECT short_name, id FROM cert"))}
        pool = int(
            session.scalar(
                text(
                    "SELECT count(DISTINCT value_hash) FROM incident_observable"
                    " WHERE kind NOT IN ('url', 'md5')"
                )
            )
            or 1000
        )
        sizes = {
            r[0]: r[1]
            for r in session.execute(
                text("SELECT owner_cert_id, count(*) FROM incident GROUP BY owner_cert_id")
            )
        }
        banking = _principal(session, shorts["bankingcert"], tree)
        national = _principal(session, shorts["pkcert"], tree)
        results["queue_sizes"] = {
            "bankingcert_incidents": sizes.get(shorts["bankingcert"], 0),
            "all_incidents": sum(sizes.values()),
        }
        filters = [
            ("open work", IncidentFilter(open_only=True)),
            ("status=new", IncidentFilter(status=[IncidentStatus.NEW])),
            ("overdue", IncidentFilter(deadline="overdue")),
            (
                "severity+class",
                IncidentFilter(severity=[Severity.CRITICAL], rsit_class="intrusions"),
            ),
            ("title search", IncidentFilter(q="phishing", open_only=True)),
            ("everything", IncidentFilter()),
        ]
        for who, principal, extra in (
            ("banking CERT", banking, {}),
            ("National CERT, its own queue", national, {"handling_cert_id": shorts["pkcert"]}),
        ):
            for name, base in filters:
                chosen = base.model_copy(update=extra)
                results[f"list · {who} · {name}"] = _time(
                    _list_call(session, principal, chosen), repeat
                )
            for name, base in (
                ("open work", IncidentFilter(open_only=True)),
                ("everything", IncidentFilter()),
            ):
                chosen = base.model_copy(update=extra)
                results[f"counts · {who} · {name}"] = _time(
                    _counts_call(session, principal, chosen), repeat
                )
        results["counts · National CERT · everything below it"] = _time(
            lambda: service.counts(session=session, principal=national, now=NOW),
            max(5, repeat // 5),
        )

        def lookup_shared() -> None:
            kind, value = shared_value(rng.randrange(pool))
            service.lookup(session=session, principal=banking, value=value, kind=kind.value)

        def lookup_unique() -> None:
            kind, value = unique_value(rng.randrange(1, 1000), 0)
            service.lookup(session=session, principal=national, value=value, kind=kind.value)

        results["lookup · shared indicator (as banking CERT)"] = _time(lookup_shared, repeat)
        results["lookup · unique indicator (as National CERT)"] = _time(lookup_unique, repeat)
    results["explain"] = explain(engine, banking, shorts)
    results["sizes"] = sizes_of(engine)
    engine.dispose()
    return results


def explain(engine: Engine, principal: Principal, shorts: dict[str, int]) -> dict[str, str]:
    """The plans of the SQL that the queue's list and counts and the lookup really run
    (captured from the engine as the service functions execute), with EXPLAIN ANALYZE."""
    captured: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    plans: dict[str, str] = {}
    calls: dict[str, Callable[[Session], Any]] = {
        "queue list (open work)": lambda s: service.list_incidents(
            session=s, principal=principal, filters=IncidentFilter(open_only=True), now=NOW
        ),
        "queue counts (open work)": lambda s: service.counts(
            session=s, principal=principal, filters=IncidentFilter(open_only=True), now=NOW
        ),
        "lookup": lambda s: service.lookup(
            session=s, principal=principal, value=shared_value(7)[1], kind=shared_value(7)[0].value
        ),
    }
    for name, call in calls.items():
        captured.clear()
        event.listen(engine, "before_cursor_execute", grab)
        try:
            with Session(engine) as session:
                call(session)
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET jit = off")
            for position, (statement, parameters) in enumerate(captured, start=1):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                plans[f"{name} · statement {position}"] = plan
        finally:
            raw.close()
    return plans


def sizes_of(engine: Engine) -> dict[str, str]:
    queries = {
        "incident_observable table (heap)": "pg_relation_size('incident_observable')",
        "correlation index (value_hash, incident_id)": (
            "pg_relation_size('uq_incident_observable_value_hash_incident_id')"
        ),
        "ix_incident_observable_incident_id (an incident's own list)": (
            "pg_relation_size('ix_incident_observable_incident_id')"
        ),
        "incident_observable, everything": "pg_total_relation_size('incident_observable')",
        "incident table (heap)": "pg_relation_size('incident')",
        "incident, everything": "pg_total_relation_size('incident')",
    }
    with engine.connect() as connection:
        result = {}
        for name, expression in queries.items():
            raw = connection.scalar(text(f"SELECT {expression}"))
            pretty = connection.scalar(text(f"SELECT pg_size_pretty({expression})"))
            result[name] = f"{pretty} ({raw} bytes)"
        rows = connection.scalar(text("SELECT count(*) FROM incident_observable"))
        index = connection.scalar(
            text("SELECT pg_relation_size('uq_incident_observable_value_hash_incident_id')")
        )
        result["correlation index bytes per observable"] = f"{(index or 0) / max(rows or 1, 1):.1f}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_h4_incidents"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M incidents")
    parser.add_argument("--observables-per-incident", type=int, default=10)
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    if not args.skip_generate:
        figures["generate"] = generate(
            args.url, args.scale, args.observables_per_incident, args.orgs, args.seed
        )
        print("generated:", json.dumps(figures["generate"]), file=sys.stderr, flush=True)
    figures.update(measure(args.url, args.repeat, args.seed))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        if key in ("explain",):
            continue
        if isinstance(value, dict) and "p95_ms" in value:
            print(
                f"{key:<62} p50 {value['p50_ms']:>8} ms  p95 {value['p95_ms']:>8} ms"
                f"  max {value['max_ms']:>8} ms"
            )
        else:
            print(f"{key}: {json.dumps(value, indent=2)}")
    for name, plan in figures["explain"].items():
        print(f"\n--- EXPLAIN {name} ---\n{plan}")


if __name__ == "__main__":
    main()
