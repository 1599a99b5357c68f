"""How fast is risk matching at national scale?

Generates a deterministic synthetic nation — 10,000 organisations with 500,000 assets (CPE
and purl products, dotted versions) and 250,000 CVE-like vulnerabilities with affected
version ranges (a share of them on products organisations run, the rest on the long tail) —
writes it in bulk, then measures through certnet's own code:

* a **full rematch** (every statement against every asset: exposures, SSVC, measures);
* **one new advisory**: a vendor CSAF 2.0 document naming one widely run product, imported
  and rematched incrementally (only that product's assets are read);
* the **nation's risk register page** (``/risk``) rendered through the app for a National
  CERT analyst (median of several requests).

Wall-clock and process CPU time are both reported: on a shared machine the first includes
waiting for the CPU (the database server's own CPU is not in the second on PostgreSQL).

Targets (issue 5): full rematch < 30 s, one advisory < 1 s, register page < 200 ms.

Run: ``.venv/bin/python benchmarks/risk_bench.py [--assets N] [--vulns M] [--orgs K]
[--postgres URL]`` (SQLite in a temporary file by default; ``--postgres`` uses that
database, which must exist and is emptied).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from certnet.config import Settings
from certnet.constituency.models import Cert, Organisation
from certnet.core.access import Principal, Role
from certnet.db import migrate
from certnet.db.session import make_engine, session_factory
from certnet.identity import service as identity
from certnet.identity.schemas import UserCreate
from certnet.main import create_app
from certnet.risk import service
from certnet.risk.models import (
    AffectedProduct,
    Asset,
    Exposure,
    Measure,
    ProductStatus,
    Vulnerability,
)

SECTORS = ("banking", "telecom", "power", "oil_gas", "health", "government", "education")
PASSWORD = "Correct-Horse-42-bench"  # noqa: S105  (a throwaway benchmark user)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _version(rng: random.Random) -> str:
    return f"{rng.randint(1, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"


def _network(session: Session, orgs: int, rng: random.Random) -> list[tuple[int, int]]:
    now = NOW
    session.execute(
        insert(Cert),
        [
            {"id": 1, "name": "National CERT", "short_name": "pkcert", "tier": "national",
             "parent_id": None, "created_at": now, "updated_at": now, "operating_hours": "24/7"},
        ]
        + [
            {"id": 2 + i, "name": f"{s} CERT", "short_name": f"{s}cert", "tier": "sectoral",
             "parent_id": 1, "sector": s, "created_at": now, "updated_at": now,
             "operating_hours": "24/7"}
            for i, s in enumerate(SECTORS)
        ],
    )  # fmt: skip
    rows = []
    for i in range(orgs):
        sector_index = rng.randrange(len(SECTORS))
        rows.append(
            {
                "id": i + 1,
                "name": f"Organisation {i + 1:05d}",
                "cert_id": 2 + sector_index,
                "sector": SECTORS[sector_index],
                "province": rng.choice(("punjab", "sindh", "kp", "balochistan", None)),
                "cii": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(rows), 5000):
        session.execute(insert(Organisation), rows[start : start + 5000])
    return [(r["id"], r["cert_id"]) for r in rows]


def _products(count: int, prefix: str) -> list[tuple[str, str]]:
    """(kind, key) of ``count`` products: two in three CPE, one in three purl."""
    found = []
    for i in range(count):
        if i % 3 == 2:
            found.append(("purl", f"pkg:maven/org.{prefix}{i // 50}/lib{i}"))
        else:
            found.append(("cpe", f"cpe:{prefix}vendor{i // 20}:product{i}"))
    return found


def _assets(
    session: Session, orgs: list[tuple[int, int]], count: int, popular: list[tuple[str, str]],
    rng: random.Random,
) -> None:  # fmt: skip
    weights = [1 / (1 + i) ** 0.8 for i in range(len(popular))]
    picks = rng.choices(range(len(popular)), weights=weights, k=count)
    batch: list[dict[str, Any]] = []
    for n, pick in enumerate(picks):
        org_id, cert_id = orgs[n % len(orgs)]
        kind, key = popular[pick]
        version = _version(rng)
        batch.append(
            {
                "owner_cert_id": cert_id,
                "organisation_id": org_id,
                "name": f"asset {n}",
                "cpe": None,
                "purl": None,
                "cpe_key": key if kind == "cpe" else None,
                "purl_key": key if kind == "purl" else None,
                "version": version,
                "exposure": rng.choice(("open", "controlled", "small")),
                "criticality": rng.choice(("low", "medium", "high", "critical")),
                "owner_contact": None,
                "source": "bench",
                "bom_ref": None,
                "natural_key": f"{key}@{version}#asset {n}",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        if len(batch) == 20000:
            session.execute(insert(Asset), batch)
            batch = []
    if batch:
        session.execute(insert(Asset), batch)


def _vulns(
    session: Session, count: int, popular: list[tuple[str, str]], tail: list[tuple[str, str]],
    share_popular: float, rng: random.Random,
) -> None:  # fmt: skip
    vulns: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    for i in range(count):
        vid = i + 1
        kev = rng.random() < 0.005
        vulns.append(
            {
                "id": vid,
                "identifier": f"CVE-{2000 + i % 26}-{100000 + i}",
                "owner_cert_id": 1,
                "tlp": "CLEAR",
                "state": "PUBLISHED",
                "cvss_version": "3.1",
                "cvss_score": round(rng.uniform(2, 10), 1),
                "epss": round(rng.random() ** 4, 5),
                "kev": kev,
                "kev_due_date": date(2026, 12, 20) if kev else None,
                "kev_ransomware": False,
                "poc": rng.random() < 0.05,
                "exploited": False,
                "automatable": rng.choice(("yes", "no")),
                "technical_impact": rng.choice(("partial", "total")),
                "sources": "cve",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        _kind, key = rng.choice(popular) if rng.random() < share_popular else rng.choice(tail)
        low = _version(rng)
        high = _version(rng)
        if high < low:
            low, high = high, low
        statements.append(
            {
                "vulnerability_id": vid,
                "source": "cve",
                "product_key": key,
                "vendor": None,
                "product": None,
                "ranges": [{"introduced": low, "fixed": high}],
                "status": ProductStatus.AFFECTED.value,
                "justification": None,
                "product_ref": None,
            }
        )
        if len(vulns) == 20000:
            session.execute(insert(Vulnerability), vulns)
            session.execute(insert(AffectedProduct), statements)
            vulns, statements = [], []
    if vulns:
        session.execute(insert(Vulnerability), vulns)
        session.execute(insert(AffectedProduct), statements)


def _advisory(key: str) -> dict[str, Any]:
    purl = "pkg:maven/" + key.removeprefix("pkg:maven/")
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE"}},
            "publisher": {"category": "vendor", "name": "Bench", "namespace": "https://bench.example"},
            "title": "Bench advisory",
            "tracking": {
                "current_release_date": "2026-11-29T10:00:00Z",
                "id": "BENCH-2026-0001",
                "initial_release_date": "2026-11-29T10:00:00Z",
                "revision_history": [
                    {"date": "2026-11-29T10:00:00Z", "number": "1", "summary": "x"}
                ],
                "status": "final",
                "version": "1",
            },
        },
        "product_tree": {
            "branches": [
                {"category": "vendor", "name": "bench", "branches": [
                    {"category": "product_version_range", "name": "vers:semver/<9.0.0",
                     "product": {"name": "lib", "product_id": "P1",
                                 "product_identification_helper": {"purl": purl}}},
                ]},
            ]
        },
        "vulnerabilities": [
            {"cve": "CVE-2026-99999", "product_status": {"known_affected": ["P1"]},
             "scores": [{"products": ["P1"], "cvss_v3": {"version": "3.1",
                         "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                         "baseScore": 9.8, "baseSeverity": "CRITICAL"}}]},
        ],
    }  # fmt: skip


def _engine(postgres: str | None, folder: Path, sqlite_path: str | None = None) -> Engine:
    if postgres:
        engine = make_engine(postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        return engine
    path = Path(sqlite_path) if sqlite_path else folder / "risk_bench.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    return engine


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        engine = _engine(args.postgres, Path(folder), args.sqlite)
        factory = session_factory(engine)
        popular = _products(args.popular, "p")
        tail = _products(args.vulns, "t")
        started = time.perf_counter()
        with factory.begin() as session:
            orgs = _network(session, args.orgs, rng)
            _assets(session, orgs, args.assets, popular, rng)
            _vulns(session, args.vulns, popular, tail, args.share_popular, rng)
            identity.create_user(
                session=session,
                principal=Principal.system("bench"),
                data=UserCreate(
                    username="national",
                    display_name="National analyst",
                    email="national@example.pk",
                    role=Role.ANALYST,
                    password=PASSWORD,
                    cert_id=1,
                ),
            )
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                # The generator wrote explicit ids: move the sequences past them.
                for table in ("cert", "organisation", "vulnerability"):
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  (fixed table names)
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
                connection.execute(text("ANALYZE"))
        generated = time.perf_counter() - started
        system = Principal.system("bench")

        started, cpu = time.perf_counter(), time.process_time()
        with factory.begin() as session:
            full = service.rematch_all(session=session, principal=system, now=NOW)
        full_seconds, full_cpu = time.perf_counter() - started, time.process_time() - cpu

        started, cpu = time.perf_counter(), time.process_time()
        with factory.begin() as session:
            again = service.rematch_all(session=session, principal=system, now=NOW)
        again_seconds, again_cpu = time.perf_counter() - started, time.process_time() - cpu

        kind_key = next(k for kind, k in popular if kind == "purl")
        started, cpu = time.perf_counter(), time.process_time()
        with factory.begin() as session:
            advisory = service.import_csaf(
                session=session, principal=system, document=_advisory(kind_key), now=NOW
            )
        advisory_seconds, advisory_cpu = time.perf_counter() - started, time.process_time() - cpu

        with factory.begin() as session:
            service.take_snapshot(session=session, principal=system, on=NOW.date())
            counts = {
                "exposures": session.scalar(select(func.count(Exposure.id))),
                "measures": session.scalar(select(func.count(Measure.id))),
            }

        app = create_app(Settings(log_json=True), engine=engine)
        timings, cpu_timings = [], []
        with TestClient(app) as client:
            login = client.get("/login")
            token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
            client.post(
                "/login",
                data={"username": "national", "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            for _ in range(args.requests):
                started, cpu = time.perf_counter(), time.process_time()
                page = client.get("/risk?level=sector")
                timings.append(time.perf_counter() - started)
                cpu_timings.append(time.process_time() - cpu)
                assert page.status_code == 200, page.status_code
        engine.dispose()
    return {
        "engine": "postgresql" if args.postgres else "sqlite",
        "organisations": args.orgs,
        "assets": args.assets,
        "vulnerabilities": args.vulns,
        "generate_s": round(generated, 1),
        "full_rematch_s": round(full_seconds, 2),
        "full_rematch_cpu_s": round(full_cpu, 2),
        "full_rematch_created": full.created,
        "measures_created": full.measures_created,
        "second_rematch_s": round(again_seconds, 2),
        "second_rematch_cpu_s": round(again_cpu, 2),
        "second_rematch_changes": again.touched,
        "advisory_s": round(advisory_seconds, 3),
        "advisory_cpu_s": round(advisory_cpu, 3),
        "advisory_exposures": advisory.exposures_changed,
        "register_page_ms_median": round(statistics.median(timings) * 1000, 1),
        "register_page_ms_max": round(max(timings) * 1000, 1),
        "register_page_cpu_ms_median": round(statistics.median(cpu_timings) * 1000, 1),
        **counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--assets", type=int, default=500_000)
    parser.add_argument("--vulns", type=int, default=250_000)
    parser.add_argument("--popular", type=int, default=20_000, help="products assets run")
    parser.add_argument(
        "--share-popular", type=float, default=0.04, help="share of CVEs on products run"
    )
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL (emptied) instead of SQLite")
    parser.add_argument("--sqlite", help="keep the SQLite database at this path (replaced)")
    figures = run(parser.parse_args())
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
