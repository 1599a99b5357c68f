"""Every Shadowserver report type ends with a valid RSIT class and type, and the report types
the published schema classifies only generically get certnet's own classification."""

from __future__ import annotations

import json

import pytest

from certnet.feeds.parsers import schema_store
from certnet.feeds.parsers import shadowserver_conversions as conversions
from certnet.feeds.parsers.schema_store import ReportSchema, ShadowserverSchema, parse_schema
from certnet.feeds.taxonomy import rsit
from tests.shared_data import shadowserver_file

#: Generic RSIT pairs: they say nothing a CERT can act on.
GENERIC = {("other", "other"), ("other", "undetermined"), ("other", "unknown")}


def _pairs(report: ReportSchema) -> set[tuple[str, str]]:
    """The (class, type) pairs events of this report can get: its constants, or, where a
    column decides the class (vulnerable Exchange: a web shell found or not), every pair the
    conversions give."""
    taxonomy = report.constants.get("classification.taxonomy")
    type_ = report.constants.get("classification.type")
    if taxonomy is not None and type_ is not None:
        return {(taxonomy, type_)}
    by_target = {m.target: m for m in report.mappings}
    class_map = by_target["classification.taxonomy"]
    type_map = by_target["classification.type"]
    assert class_map.conversion is not None
    assert type_map.conversion is not None
    pairs = set()
    for tag in ("exchange;webshell", "exchange;cve-2021-26855"):
        pairs.add(
            (
                conversions.CONVERSIONS[class_map.conversion](tag),
                conversions.CONVERSIONS[type_map.conversion](tag),
            )
        )
    return pairs


def test_every_report_type_has_a_valid_specific_rsit_pair(
    shadowserver_schema: ShadowserverSchema,
) -> None:
    taxonomy = rsit()
    assert len(shadowserver_schema.reports) > 100
    for code, report in shadowserver_schema.reports.items():
        for pair in _pairs(report):
            assert taxonomy.pair_is_valid(*pair), f"{code}: {pair} is not an RSIT pair"
            assert pair not in GENERIC, f"{code} is classified only generically: {pair}"


@pytest.mark.parametrize(
    ("report_type", "expected"),
    [
        ("scan_http", ("vulnerable", "potentially-unwanted-accessible")),
        ("scan6_ssh", ("vulnerable", "potentially-unwanted-accessible")),
        ("scan_stun", ("vulnerable", "ddos-amplifier")),
        ("event4_sinkhole_dns", ("malicious-code", "infected-system")),
        ("event4_honeypot_darknet", ("information-gathering", "scanner")),
        ("blocklist", ("other", "blocklist")),
        # Classified specifically by Shadowserver: kept as published.
        ("scan_ssl_poodle", ("vulnerable", "weak-crypto")),
        ("scan_dns", ("vulnerable", "vulnerable-system")),
    ],
)
def test_generic_classes_are_replaced_and_specific_ones_kept(
    shadowserver_schema: ShadowserverSchema, report_type: str, expected: tuple[str, str]
) -> None:
    report = shadowserver_schema.resolve(report_type)
    assert (
        report.constants["classification.taxonomy"],
        report.constants["classification.type"],
    ) == expected


def test_every_override_is_an_rsit_pair_for_a_known_report_type() -> None:
    published = json.loads(shadowserver_file("intelmq.json").read_bytes())
    codes = {str(body.get("file_name") or key) for key, body in published.items() if key != "_meta"}
    overrides = schema_store.classifications()
    assert overrides
    for code, ours in overrides.items():
        assert code in codes, f"{code} is not a report type of the schema"
        assert rsit().pair_is_valid(ours.taxonomy, ours.type), code
        assert ours.why


def test_a_schema_that_classifies_a_report_itself_wins() -> None:
    body = {
        "scan_http": {
            "file_name": "scan_http",
            "feed_name": "Accessible-HTTP",
            "constant_fields": {
                "classification.taxonomy": "vulnerable",
                "classification.type": "information-disclosure",
                "classification.identifier": "accessible-http",
            },
            "required_fields": [["source.ip", "ip", "validate_ip"]],
        }
    }
    report = parse_schema(json.dumps(body).encode()).resolve("scan_http")
    assert report.constants["classification.type"] == "information-disclosure"
    body["scan_http"]["constant_fields"]["classification.taxonomy"] = "other"  # type: ignore[index]
    body["scan_http"]["constant_fields"]["classification.type"] = "other"  # type: ignore[index]
    report = parse_schema(json.dumps(body).encode()).resolve("scan_http")
    assert report.constants["classification.type"] == "potentially-unwanted-accessible"
