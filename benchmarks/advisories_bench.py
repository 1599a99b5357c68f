"""How long does publishing an advisory take when it reaches many organisations, and how fast
are the answer board, the CSAF checks and the provider directory?

1. **build** — a fresh database (``--url``; default a SQLite file in a temporary folder),
   migrated to head; a National CERT with ``--sectors`` sectoral CERTs and ``--orgs``
   organisations spread over them, each with a security contact and one asset running Acme
   Gateway (two thirds in the affected range, one third fixed), all through certnet's services.
2. **measure** — as the National CERT's analyst, through the services: publishing one advisory
   (CSAF build, mandatory tests, targeting, one dissemination and one outbox message per
   matching organisation, audit), the answer board after a third answered, the CSAF document
   checks alone, and the provider directory's ``index.txt`` with ``--clear`` TLP:CLEAR
   advisories published.

Run: ``.venv/bin/python benchmarks/advisories_bench.py --orgs 1000`` (add
``--url postgresql+psycopg://…`` for PostgreSQL; the database is dropped and recreated).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import certnet.db.models  # noqa: F401 — every domain's tables, for the mapper registry
from certnet.advisories import answers, csaf_checks, provider, service
from certnet.advisories.models import AnswerStatus
from certnet.advisories.schemas import AdvisoryCreate, AnswerIn, PublishRequest
from certnet.constituency import service as constituency
from certnet.constituency.models import ContactRole
from certnet.constituency.schemas import CertCreate, ContactCreate, OrganisationCreate
from certnet.core.access import Principal
from certnet.db import migrate
from certnet.db.session import make_engine
from certnet.risk.service.assets import AssetInput, create_asset

SYSTEM = Principal.system("benchmark")
SECTORS = ["banking", "telecom", "power", "oil_gas", "media", "revenue", "health", "education"]


def advisory(
    title: str, tlp: str = "AMBER", cpe: str = "cpe:2.3:a:acme:gateway:*:*:*:*:*:*:*:*"
) -> AdvisoryCreate:
    return AdvisoryCreate.model_validate(
        {
            "title": title,
            "summary": "A crafted request lets an unauthenticated attacker run code.",
            "tlp": tlp,
            "cves": ["CVE-2026-10001"],
            "cvss_v3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "products": [
                {
                    "vendor": "Acme",
                    "name": "Gateway",
                    "versions": "vers:semver/>=2.0.0|<2.4.1",
                    "fixed_version": "2.4.1",
                    "cpe": cpe,
                }
            ],
            "remediations": [{"category": "vendor_fix", "details": "Update to 2.4.1."}],
        }
    )


def fresh_engine(url: str | None) -> Engine:
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="certnet-advisories-bench-"))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    return engine


def build(session: Session, orgs: int, sectors: int) -> int:
    """The network and its assets; returns the National CERT's id."""
    national = constituency.create_cert(
        session=session,
        principal=SYSTEM,
        data=CertCreate(name="National CERT", short_name="pkcert", tier="national"),
    )
    government = constituency.create_cert(
        session=session,
        principal=SYSTEM,
        data=CertCreate(
            name="Government CERT", short_name="govcert", tier="government", parent_id=national.id
        ),
    )
    sector_certs = [
        constituency.create_cert(
            session=session,
            principal=SYSTEM,
            data=CertCreate(
                name=f"{sector.title()} CERT",
                short_name=f"{sector.replace('_', '-')}-cert",
                tier="sectoral",
                sector=sector,
                parent_id=government.id,
            ),
        )
        for sector in SECTORS[:sectors]
    ]
    for i in range(orgs):
        cert = sector_certs[i % len(sector_certs)]
        org = constituency.create_organisation(
            session=session,
            principal=SYSTEM,
            data=OrganisationCreate(
                name=f"Organisation {i:05d}", cert_id=cert.id, sector=cert.sector or "banking"
            ),
        )
        constituency.create_contact(
            session=session,
            principal=SYSTEM,
            organisation_id=org.id,
            data=ContactCreate(
                name="SOC", role=ContactRole.SECURITY, email=f"soc@org{i:05d}.example.pk"
            ),
        )
        version = ("2.1.0", "2.3.7", "2.5.0")[i % 3]
        create_asset(
            session=session,
            principal=SYSTEM,
            organisation_id=org.id,
            item=AssetInput(
                name="Acme Gateway",
                cpe=f"cpe:2.3:a:acme:gateway:{version}:*:*:*:*:*:*:*",
                version=version,
            ),
        )
    session.flush()
    return national.id


def timed(label: str, action: Callable[[], Any], repeat: int = 1) -> Any:
    runs: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        runs.append(time.perf_counter() - start)
    if repeat == 1:
        print(f"  {label:<58} {runs[0] * 1000:9.1f} ms")
    else:
        print(
            f"  {label:<58} p50 {statistics.median(runs) * 1000:7.1f} ms · "
            f"max {max(runs) * 1000:7.1f} ms ({repeat} runs)"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="database URL (dropped and recreated)")
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--sectors", type=int, default=4)
    parser.add_argument("--clear", type=int, default=200, help="TLP:CLEAR advisories to list")
    args = parser.parse_args()

    engine = fresh_engine(args.url)
    print(f"certnet advisories benchmark on {engine.dialect.name}: {args.orgs} organisations")
    with Session(engine) as session:
        start = time.perf_counter()
        national_id = build(session, args.orgs, args.sectors)
        session.commit()
        print(f"  build: {time.perf_counter() - start:.1f} s")
        analyst = Principal(
            user_id=None,
            name="benchmark analyst",
            role=SYSTEM.role,
            cert_id=national_id,
            all_tenancy=True,
        )
        made = service.create(session=session, principal=analyst, data=advisory("Acme Gateway RCE"))
        done = timed(
            "publish: CSAF + checks + targeting + mail for each org",
            lambda: service.publish(
                session=session, principal=analyst, advisory_id=made.id, data=PublishRequest()
            ),
        )
        session.commit()
        print(
            f"    → reached {len(done.disseminations)} organisations "
            "(the two thirds that run 2.1.0 or 2.3.7)"
        )
        for n, dissemination in enumerate(done.disseminations):
            if n % 3 == 0:
                answers.answer(
                    session=session,
                    principal=analyst,
                    advisory_id=made.id,
                    data=AnswerIn(
                        status=AnswerStatus.PATCHED, organisation_id=dissemination.organisation_id
                    ),
                )
        session.commit()
        board = timed(
            "answer board (every targeted organisation)",
            lambda: answers.answer_board(session=session, principal=analyst, advisory_id=made.id),
            repeat=5,
        )
        print(f"    → {board.counts}")
        document = done.revision.document
        timed(
            "CSAF mandatory tests on the published document", lambda: csaf_checks.run(document), 20
        )
        # The public advisories name a product nobody runs: what is measured is the directory.
        start = time.perf_counter()
        for i in range(args.clear):
            item = service.create(
                session=session,
                principal=analyst,
                data=advisory(
                    f"Public advisory {i}", "CLEAR", "cpe:2.3:a:other:thing:*:*:*:*:*:*:*:*"
                ),
            )
            service.publish(
                session=session, principal=analyst, advisory_id=item.id, data=PublishRequest()
            )
        session.commit()
        print(
            f"  published {args.clear} TLP:CLEAR advisories in {time.perf_counter() - start:.1f} s"
        )
        listing = timed(
            "provider directory index.txt", lambda: provider.index_txt(session=session), repeat=5
        )
        print(f"    → {len(listing.splitlines())} documents listed")
    engine.dispose()


if __name__ == "__main__":
    main()
