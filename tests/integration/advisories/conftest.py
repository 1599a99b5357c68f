"""A network whose organisations run known products, and advisories about them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from certnet.risk.service.assets import AssetInput, create_asset
from tests.factories import SYSTEM, Network, build_network

GATEWAY_CPE = "cpe:2.3:a:acme:gateway:*:*:*:*:*:*:*:*"


def run_assets(session: Session, net: Network) -> None:
    """First Bank runs an affected Acme Gateway (by CPE), Punjab IT Board an affected one (by
    purl), Telco One a fixed one, Branch Services something else entirely."""
    plan = {
        "First Bank": [
            AssetInput(
                name="Acme Gateway",
                cpe="cpe:2.3:a:acme:gateway:2.3.0:*:*:*:*:*:*:*",
                version="2.3.0",
                exposure="open",
                criticality="high",
            ),
        ],
        "Punjab IT Board": [
            AssetInput(name="acme gateway", purl="pkg:generic/acme/gateway@2.1.0", version="2.1.0"),
        ],
        "Telco One": [
            AssetInput(
                name="Acme Gateway",
                cpe="cpe:2.3:a:acme:gateway:2.5.0:*:*:*:*:*:*:*",
                version="2.5.0",
            ),
        ],
        "Branch Services": [
            AssetInput(
                name="Other Router", cpe="cpe:2.3:h:other:router:1.0:*:*:*:*:*:*:*", version="1.0"
            ),
        ],
    }
    for org_name, items in plan.items():
        for item in items:
            create_asset(
                session=session,
                principal=SYSTEM,
                organisation_id=net.orgs[org_name].id,
                item=item,
            )
    session.flush()


@pytest.fixture
def net(session: Session) -> Network:
    built = build_network(session)
    run_assets(session, built)
    return built


def advisory_data(**overrides: Any) -> dict[str, Any]:
    """An advisory about Acme Gateway 2.0.0 up to (not including) 2.4.1."""
    data: dict[str, Any] = {
        "title": "Remote code execution in Acme Gateway",
        "summary": "A crafted request lets an unauthenticated attacker run code.",
        "tlp": "AMBER",
        "cves": ["CVE-2026-10001"],
        "cvss_v3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "products": [
            {
                "vendor": "Acme",
                "name": "Gateway",
                "versions": "vers:semver/>=2.0.0|<2.4.1",
                "fixed_version": "2.4.1",
                "cpe": GATEWAY_CPE,
                "purl": "pkg:generic/acme/gateway",
            }
        ],
        "remediations": [{"category": "vendor_fix", "details": "Update to 2.4.1."}],
        "references": [{"url": "https://acme.example/sa-1", "summary": "Vendor advisory"}],
    }
    data.update(overrides)
    return data
