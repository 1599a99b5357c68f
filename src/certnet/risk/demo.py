"""Demo risk data on top of the demo network: a handful of well-known vulnerabilities as CVE
JSON 5 records (identifiers, products, version ranges, CVSS vectors and KEV dates are public
facts; the wording is ours), a small KEV catalogue and EPSS scores, assets for a few hundred
organisations, the exposures and measures matching gives, and a month of register history.

Everything goes through the importers and the matching engine, except the assets, which take
a bulk path (one audit entry per organisation) to stay fast.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.core import audit
from certnet.core.access import Principal
from certnet.risk import service
from certnet.risk.models import Asset, Criticality, InternetExposure, RiskSnapshot
from certnet.risk.products import parse_cpe, parse_purl

_ORG = "8254265b-2729-46b6-b9e3-3dfca2d5bfca"

#: (CVE, vendor, product, CPE key parts, ranges as CVE 5 versions, CVSS vector, KEV added,
#: KEV due, EPSS, what it is in our words)
_VULNS: tuple[tuple[Any, ...], ...] = (
    (
        "CVE-2024-3400",
        "paloaltonetworks",
        "pan-os",
        "o",
        [("10.2.0", "10.2.9-h1"), ("11.0.0", "11.0.4-h1"), ("11.1.0", "11.1.2-h3")],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "2024-04-12",
        "2024-04-19",
        0.94,
        "Command injection in the GlobalProtect feature of the firewall OS.",
    ),
    (
        "CVE-2024-47575",
        "fortinet",
        "fortimanager",
        "o",
        [("7.4.0", "7.4.5"), ("7.2.0", "7.2.8"), ("7.0.0", "7.0.13")],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "2024-10-23",
        "2024-11-13",
        0.91,
        "Missing authentication for a critical function of the management daemon.",
    ),
    (
        "CVE-2025-0282",
        "ivanti",
        "connect_secure",
        "a",
        [("22.7R2", "22.7R2.5")],
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "2025-01-08",
        "2025-01-15",
        0.93,
        "Stack-based buffer overflow reachable without authentication.",
    ),
    (
        "CVE-2023-34362",
        "progress",
        "moveit_transfer",
        "a",
        [("2021.0", "2021.0.7"), ("2022.0", "2022.0.5"), ("2023.0", "2023.0.2")],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "2023-06-02",
        "2023-06-23",
        0.94,
        "SQL injection in the web application of the file transfer server.",
    ),
    (
        "CVE-2024-6387",
        "openbsd",
        "openssh",
        "a",
        [("8.5p1", "9.8p1")],
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
        None,
        None,
        0.39,
        "A signal handler race in the SSH server's pre-authentication code.",
    ),
    (
        "CVE-2023-4966",
        "citrix",
        "netscaler_adc",
        "a",
        [("13.1", "13.1.49.15"), ("14.1", "14.1.8.50")],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L",
        "2023-10-18",
        "2023-11-08",
        0.94,
        "Sensitive information disclosure when configured as a gateway.",
    ),
)

#: Products assets are drawn from: CPE or purl, and versions (some affected, some not).
_CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Perimeter firewall", "cpe:2.3:o:paloaltonetworks:pan-os:{v}:*:*:*:*:*:*:*",
     ("10.2.5", "10.2.10", "11.1.1", "11.1.3")),
    ("Firewall manager", "cpe:2.3:o:fortinet:fortimanager:{v}:*:*:*:*:*:*:*",
     ("7.4.3", "7.2.9", "7.0.10")),
    ("Remote access VPN", "cpe:2.3:a:ivanti:connect_secure:{v}:*:*:*:*:*:*:*",
     ("22.7R2.3", "22.7R2.5")),
    ("File transfer", "cpe:2.3:a:progress:moveit_transfer:{v}:*:*:*:*:*:*:*",
     ("2022.0.4", "2023.0.2")),
    ("Bastion host SSH", "cpe:2.3:a:openbsd:openssh:{v}:*:*:*:*:*:*:*",
     ("9.3p1", "9.8p1", "8.4p1")),
    ("Application delivery", "cpe:2.3:a:citrix:netscaler_adc:{v}:*:*:*:*:*:*:*",
     ("13.1.48.47", "14.1.12.35")),
    ("Message broker client", "pkg:maven/org.apache.activemq/activemq-client@{v}",
     ("5.18.2", "5.18.3")),
)  # fmt: skip


def _record(item: tuple[Any, ...], now: datetime) -> dict[str, Any]:
    cve_id, vendor, product, part, ranges, vector, _, _, _, text = item
    versions = [
        {"version": low, "lessThan": high, "status": "affected", "versionType": "custom"}
        for low, high in ranges
    ]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record: dict[str, Any] = {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": cve_id,
            "assignerOrgId": _ORG,
            "state": "PUBLISHED",
            "datePublished": stamp,
            "dateUpdated": stamp,
        },
        "containers": {
            "cna": {
                "providerMetadata": {"orgId": _ORG},
                "descriptions": [{"lang": "en", "value": text}],
                "affected": [
                    {
                        "vendor": vendor,
                        "product": product,
                        "cpes": [f"cpe:2.3:{part}:{vendor}:{product}:*:*:*:*:*:*:*:*"],
                        "defaultStatus": "unaffected",
                        "versions": versions,
                    }
                ],
                "references": [{"url": f"https://www.cve.org/CVERecord?id={cve_id}"}],
                "metrics": [
                    {"cvssV3_1": {"version": "3.1", "vectorString": vector, "baseScore": 9.0,
                                  "baseSeverity": "CRITICAL"}}
                ],
            }
        },
    }  # fmt: skip
    return record


def _kev(now: datetime) -> dict[str, Any]:
    items = [
        {
            "cveID": v[0],
            "vendorProject": v[1],
            "product": v[2],
            "vulnerabilityName": f"{v[1]} {v[2]} vulnerability",
            "dateAdded": v[6],
            "shortDescription": v[9],
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": v[7],
            "knownRansomwareCampaignUse": "Unknown",
            "notes": "",
        }
        for v in _VULNS
        if v[6]
    ]
    return {
        "title": "Demo KEV catalogue",
        "catalogVersion": now.strftime("%Y.%m.%d"),
        "dateReleased": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "count": len(items),
        "vulnerabilities": items,
    }


def _epss(now: datetime) -> str:
    lines = [f"#model_version:v2025.03.14,score_date:{now.date().isoformat()}T00:00:00+0000"]
    lines.append("cve,epss,percentile")
    lines += [f"{v[0]},{v[8]:.5f},0.99" for v in _VULNS]
    return "\n".join(lines) + "\n"


def _organisations(session: Session, principal: Principal, wanted: int) -> list[Any]:
    found: list[Any] = []
    cursor: str | None = None
    while len(found) < wanted:
        page = constituency.list_organisations(
            session=session, principal=principal, cursor=cursor, limit=500
        )
        found.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return found[:wanted]


def _assets(session: Session, principal: Principal, orgs: list[Any], now: datetime) -> int:
    rng = random.Random(20261129)  # noqa: S311  (demo data, not secrets)
    rows: list[dict[str, Any]] = []
    for org in orgs:
        for name, template, versions in rng.sample(_CATALOGUE, k=rng.randint(1, 3)):
            version = rng.choice(versions)
            text = template.format(v=version)
            is_purl = text.startswith("pkg:")
            key = parse_purl(text).key if is_purl else parse_cpe(text).key
            rows.append(
                {
                    "owner_cert_id": org.cert_id,
                    "organisation_id": org.id,
                    "name": name,
                    "cpe": None if is_purl else text,
                    "purl": text if is_purl else None,
                    "cpe_key": None if is_purl else key,
                    "purl_key": key if is_purl else None,
                    "version": version,
                    "exposure": rng.choice(list(InternetExposure)),
                    "criticality": rng.choice(list(Criticality)),
                    "owner_contact": None,
                    "source": "demo",
                    "bom_ref": None,
                    "natural_key": f"{key}@{version}#{name}",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    known = {
        (row.organisation_id, row.natural_key)
        for row in session.execute(select(Asset.organisation_id, Asset.natural_key))
    }
    rows = [r for r in rows if (r["organisation_id"], r["natural_key"]) not in known]
    for start in range(0, len(rows), 2000):
        session.execute(insert(Asset), rows[start : start + 2000])
    for org_id in sorted({r["organisation_id"] for r in rows}):
        audit.record(
            session=session,
            principal=principal,
            action="risk.asset.import",
            object_type="organisation",
            object_id=org_id,
            after={"source": "demo", "created": sum(r["organisation_id"] == org_id for r in rows)},
        )
    return len(rows)


def _history(session: Session, today: date) -> None:
    """A month of register history before today, shaped like a response in progress: more
    open measures a month ago, fewer each week since (demo data, said so in the docs)."""
    current = session.execute(select(RiskSnapshot).where(RiskSnapshot.day == today)).scalars()
    base = list(current)
    rows: list[dict[str, Any]] = []
    for back in range(1, 31):
        day = today - timedelta(days=back)
        if session.scalar(select(RiskSnapshot.id).where(RiskSnapshot.day == day).limit(1)):
            continue
        factor = 1 + back / 20
        for snap in base:
            rows.append(
                {
                    "day": day,
                    "owner_cert_id": snap.owner_cert_id,
                    "organisation_id": snap.organisation_id,
                    "sector": snap.sector,
                    "province": snap.province,
                    "immediate": round(snap.immediate * factor),
                    "out_of_cycle": round(snap.out_of_cycle * factor),
                    "scheduled": round(snap.scheduled * factor),
                    "defer": snap.defer,
                    "overdue": round(snap.overdue * (1 + back / 40)),
                }
            )
    for start in range(0, len(rows), 5000):
        session.execute(insert(RiskSnapshot), rows[start : start + 5000])


def seed(*, session: Session, principal: Principal, now: datetime) -> str:
    """Demo intelligence, assets, exposures, measures and register history."""
    records = [_record(v, now) for v in _VULNS]
    cves = service.import_file(
        session=session, principal=principal, content=json.dumps(records).encode(), now=now
    )
    kev = service.import_file(
        session=session, principal=principal, content=json.dumps(_kev(now)).encode(), now=now
    )
    epss = service.import_file(
        session=session, principal=principal, content=_epss(now).encode(), now=now
    )
    orgs = _organisations(session, principal, 400)
    created = _assets(session, principal, orgs, now)
    result = service.rematch_all(session=session, principal=principal, now=now)
    service.take_snapshot(session=session, principal=principal, on=now.date())
    _history(session, now.date())
    return (
        f"risk: {cves.imported + cves.updated} CVE records, {kev.imported + kev.updated} KEV "
        f"entries, {epss.updated} EPSS scores; {created} assets over {len(orgs)} organisations; "
        f"{result.created} new exposures, {result.measures_created} measures"
    )
