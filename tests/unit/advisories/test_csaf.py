"""CSAF 2.0 export: the official schema and the standard's mandatory tests are the judges."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from certnet.advisories import csaf, csaf_checks
from certnet.advisories.models import Advisory, AdvisoryCategory, AdvisoryStatus
from certnet.advisories.schemas import AdvisoryCreate, ProductIn
from certnet.core.tlp import Tlp
from tests.unit.advisories.csaf_judge import CSAF_DATA, csaf_errors

PUBLISHER = csaf.Publisher(
    name="PKCERT CERT", namespace="https://certnet.example/certs/pkcert", contact_details="24/7"
)
T1 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
T2 = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)


def advisory(**overrides: Any) -> Advisory:
    """A transient advisory (no database) with realistic content, validated by the schemas
    the API uses."""
    data = AdvisoryCreate.model_validate(
        {
            "title": "Remote code execution in Acme Gateway",
            "summary": "A crafted request lets an unauthenticated attacker run code.",
            "tlp": "AMBER",
            "cves": ["CVE-2026-10001", "CVE-2026-10002"],
            "cvss_v3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "products": [
                {
                    "vendor": "Acme",
                    "name": "Gateway",
                    "versions": "vers:semver/>=2.0.0|<2.4.1",
                    "fixed_version": "2.4.1",
                    "cpe": "cpe:2.3:a:acme:gateway:*:*:*:*:*:*:*:*",
                    "purl": "pkg:generic/acme/gateway",
                },
                {
                    "vendor": "Acme",
                    "name": "Gateway Lite",
                    "cpe": "cpe:2.3:a:acme:gateway_lite:*:*:*:*:*:*:*:*",
                },
            ],
            "notes": [{"category": "details", "title": "Details", "text": "The parser..."}],
            "remediations": [
                {
                    "category": "vendor_fix",
                    "details": "Update to 2.4.1.",
                    "url": "https://acme.example/fix",
                },
                {"category": "workaround", "details": "Block /admin at the edge."},
            ],
            "references": [{"url": "https://acme.example/sa-1", "summary": "Vendor advisory"}],
            **overrides,
        }
    )
    values = data.model_dump(mode="json", exclude={"publisher_cert_id", "answer_deadline"})
    values["tlp"] = Tlp(values["tlp"])
    values["category"] = AdvisoryCategory(values["category"])
    return Advisory(id=7, tracking_id="PKCERT-2026-0001", owner_cert_id=1, **values)


def published(item: Advisory, status: AdvisoryStatus = AdvisoryStatus.FINAL) -> dict[str, Any]:
    return csaf.build_document(
        item,
        publisher=PUBLISHER,
        revisions=[
            csaf.RevisionEntry(1, T1, "Initial version."),
            csaf.RevisionEntry(2, T2, "Fixed version added."),
        ],
        status=status,
        self_url="https://certnet.example/advisories/7",
    )


def test_security_advisory_validates_against_the_official_schema() -> None:
    doc = published(advisory())
    assert csaf_errors(doc) == []
    assert doc["document"]["category"] == "csaf_security_advisory"
    assert doc["document"]["tracking"]["version"] == "2"
    assert [r["number"] for r in doc["document"]["tracking"]["revision_history"]] == ["1", "2"]
    assert doc["document"]["tracking"]["initial_release_date"] == "2026-11-02T09:30:00Z"
    assert [v["cve"] for v in doc["vulnerabilities"]] == ["CVE-2026-10001", "CVE-2026-10002"]
    status = doc["vulnerabilities"][0]["product_status"]
    assert len(status["known_affected"]) == 2
    assert len(status["fixed"]) == 1
    score = doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]
    assert (score["baseScore"], score["baseSeverity"]) == (9.8, "CRITICAL")
    assert csaf_checks.run(doc) == []


def test_draft_preview_validates_and_passes_the_mandatory_tests() -> None:
    doc = csaf.build_document(
        advisory(),
        publisher=PUBLISHER,
        revisions=[csaf.RevisionEntry(0, T1, "Draft.")],
        status=AdvisoryStatus.DRAFT,
    )
    assert csaf_errors(doc) == []
    assert csaf_checks.run(doc) == []
    assert doc["document"]["tracking"]["status"] == "draft"


def test_vex_with_not_affected_products_validates() -> None:
    item = advisory(
        category="csaf_vex",
        products=[
            {
                "vendor": "Acme",
                "name": "Gateway",
                "versions": "vers:semver/<2.4.1",
                "fixed_version": "2.4.1",
                "purl": "pkg:generic/acme/gateway",
            },
            {
                "vendor": "Acme",
                "name": "Gateway Cloud",
                "purl": "pkg:generic/acme/gateway-cloud",
                "status": "known_not_affected",
                "justification": "vulnerable_code_not_present",
            },
        ],
    )
    doc = published(item)
    assert csaf_errors(doc) == []
    assert csaf_checks.run(doc) == []
    vulnerability = doc["vulnerabilities"][0]
    assert vulnerability["flags"][0]["label"] == "vulnerable_code_not_present"
    assert (
        vulnerability["product_status"]["known_not_affected"]
        == vulnerability["flags"][0]["product_ids"]
    )


def test_vex_without_an_action_statement_fails_6_1_27_10() -> None:
    doc = published(advisory(category="csaf_vex", remediations=[]))
    assert csaf_errors(doc) == []
    assert {f.test for f in csaf_checks.run(doc)} == {"6.1.27.10"}


def test_advisory_without_cves_still_validates() -> None:
    doc = published(advisory(cves=[]))
    assert csaf_errors(doc) == []
    assert "cve" not in doc["vulnerabilities"][0]
    assert csaf_checks.run(doc) == []


def test_the_schema_judge_rejects_a_broken_document() -> None:
    doc = published(advisory())
    broken = copy.deepcopy(doc)
    del broken["document"]["publisher"]
    broken["document"]["distribution"]["tlp"]["label"] = "CLEAR"  # a TLP 2.0 label: not in CSAF 2.0
    errors = csaf_errors(broken)
    assert any("publisher" in e for e in errors)
    assert any("CLEAR" in e for e in errors)


@pytest.mark.parametrize(
    ("label", "v1"),
    [
        (Tlp.CLEAR, "WHITE"),
        (Tlp.GREEN, "GREEN"),
        (Tlp.AMBER, "AMBER"),
        (Tlp.AMBER_STRICT, "AMBER"),
        (Tlp.RED, "RED"),
    ],
)
def test_tlp_maps_to_csaf_labels_and_keeps_the_tlp2_label(label: Tlp, v1: str) -> None:
    assert csaf.csaf_tlp(label) == v1
    doc = published(advisory(tlp=label.value))
    assert doc["document"]["distribution"]["tlp"]["label"] == v1
    assert f"TLP:{label.value} " in doc["document"]["distribution"]["text"]
    assert csaf_errors(doc) == []


def test_tlp_mapping_never_lowers_a_label() -> None:
    # Ranks of TLP 1.0: WHITE < GREEN < AMBER < RED; TLP 2.0 adds AMBER+STRICT between.
    v2_to_v1_floor = {Tlp.CLEAR: 0, Tlp.GREEN: 1, Tlp.AMBER: 2, Tlp.AMBER_STRICT: 2, Tlp.RED: 4}
    for label in Tlp:
        assert csaf.TLP_V1_RANK[csaf.csaf_tlp(label)] >= v2_to_v1_floor[label]
    ordered = sorted(Tlp, key=lambda t: t.rank)
    mapped = [csaf.TLP_V1_RANK[csaf.csaf_tlp(t)] for t in ordered]
    assert mapped == sorted(mapped)  # a stricter TLP 2.0 label never maps to a looser one


def test_file_names_follow_section_5_1() -> None:
    assert csaf.filename("PKCERT-2026-0001") == "pkcert-2026-0001.json"
    assert csaf.filename("2022_#01-A") == "2022_01-a.json"
    assert csaf.filename("Example Co 2026/7") == "example_co_2026_7.json"


def test_an_invalid_cvss_vector_is_refused_naming_the_field() -> None:
    with pytest.raises(Exception, match="cvss_v3_vector"):
        csaf.cvss_v3("CVSS:3.1/AV:Q")


def test_product_input_is_checked_field_by_field() -> None:
    with pytest.raises(ValueError, match="purl"):
        ProductIn(vendor="a", name="b", purl="not a purl")
    with pytest.raises(ValueError, match="cpe"):
        ProductIn(vendor="a", name="b", cpe="cpe:/a:acme:gateway")
    with pytest.raises(ValueError, match="vers"):
        ProductIn(vendor="a", name="b", versions="<2.4")
    with pytest.raises(ValueError, match="justification"):
        ProductIn(vendor="a", name="b", status="known_not_affected")


# --- the CSAF TC's mandatory-test documents judge certnet's checks -----------------------------

FIXTURES = sorted((CSAF_DATA / "mandatory").glob("*.json"))
NAME = re.compile(r"6-1-(\d\d)-(\d\d)(?:-(\d\d))?\.json$")


def _case(path: Path) -> tuple[str, bool]:
    match = NAME.search(path.name)
    assert match, path.name
    section, first, second = match.groups()
    if second is not None:
        return f"6.1.{int(section)}.{int(first)}", int(second) < 10
    return f"6.1.{int(section)}", int(first) < 10


IMPLEMENTED = [p for p in FIXTURES if _case(p)[0] in csaf_checks.CHECKS]


def test_every_implemented_check_has_official_fixtures() -> None:
    covered = {_case(p)[0] for p in IMPLEMENTED}
    assert covered == set(csaf_checks.CHECKS)
    assert len(IMPLEMENTED) >= 100


@pytest.mark.parametrize("path", IMPLEMENTED, ids=lambda p: p.name.removeprefix("oasis_csaf_tc-"))
def test_mandatory_check_agrees_with_the_official_fixture(path: Path) -> None:
    test_id, must_fail = _case(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    failures = csaf_checks.run(doc, only=test_id)
    if must_fail:
        assert failures, f"{path.name} must fail {test_id}"
        assert all(f.test == test_id for f in failures)
    else:
        assert failures == [], [str(f) for f in failures]


def test_products_with_and_without_version_ranges_share_a_valid_tree() -> None:
    item = advisory(
        products=[
            {
                "vendor": "Acme",
                "name": "Gateway",
                "fixed_version": "3.0.0",
                "purl": "pkg:generic/acme/gateway",
            },
            {
                "vendor": "Acme",
                "name": "Gateway",
                "versions": "vers:semver/<2.4.1",
                "fixed_version": "2.4.1",
            },
            {"vendor": "Other", "name": "Router", "status": "under_investigation"},
        ]
    )
    doc = published(item)
    assert csaf_errors(doc) == []
    assert csaf_checks.run(doc) == []
    acme = doc["product_tree"]["branches"][0]
    kinds = sorted("product" if "product" in b else "branches" for b in acme["branches"])
    assert kinds == ["branches", "product"]
    status = doc["vulnerabilities"][0]["product_status"]
    assert len(status["known_affected"]) == 2
    assert len(status["fixed"]) == 2
    assert len(status["under_investigation"]) == 1
