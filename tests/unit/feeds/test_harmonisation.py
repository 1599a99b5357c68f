"""The harmonisation registry, its types' normalisers, and its consistency with the taxonomy
and with Shadowserver's schema (IntelMQ's TestHarmonization idea)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from certnet.feeds import harmonisation as h
from certnet.feeds.parsers import shadowserver_conversions as conversions
from certnet.feeds.parsers.schema_store import ShadowserverSchema
from certnet.feeds.taxonomy import rsit
from tests.shared_data import REPO, shadowserver_file


def test_every_field_has_a_known_type_and_a_description() -> None:
    for name, field in h.FIELDS.items():
        assert field.name == name
        assert re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)*", name), name
        assert isinstance(field.type, h.FieldType)
        assert field.type.name in h.TYPES
        assert field.description.strip(), name
        assert type(field.type).__doc__ is None or field.type.description
        assert field.type.description, field.type.name


def test_every_field_in_shadowservers_schema_is_in_the_registry() -> None:
    document = json.loads(shadowserver_file("intelmq.json").read_text("utf-8"))
    used = set()
    for key, body in document.items():
        if key == "_meta":
            continue
        for entry in body["required_fields"] + body["optional_fields"]:
            used.add(entry[0])
        used.update(body["constant_fields"])
    harmonised = {name for name in used if not name.startswith("extra.")}
    assert harmonised - set(h.FIELDS) == set()
    # The fields the brief names beyond Shadowserver's: IntelMQ's common ones.
    assert {"time.observation", "feed.name", "feed.url", "raw", "malware.hash.sha256"} <= set(
        h.FIELDS
    )


def test_every_conversion_in_the_schema_is_implemented() -> None:
    document = json.loads(shadowserver_file("intelmq.json").read_text("utf-8"))
    names = {
        (entry[2], len(entry) > 3 and bool(entry[3]))
        for key, body in document.items()
        if key != "_meta"
        for entry in body["required_fields"] + body["optional_fields"]
        if len(entry) > 2
    }
    for name, whole_row in names:
        table = conversions.ROW_CONVERSIONS if whole_row else conversions.CONVERSIONS
        assert name in table, name


def test_every_report_type_maps_to_an_rsit_class_and_type(
    shadowserver_schema: ShadowserverSchema,
) -> None:
    taxonomy = rsit()
    for code, report in shadowserver_schema.reports.items():
        constants = report.constants
        if "classification.type" in constants:
            assert taxonomy.pair_is_valid(
                constants["classification.taxonomy"], constants["classification.type"]
            ), code
            continue
        # The Exchange reports classify each row from its tag: both outcomes must be valid.
        for tag in ("exchange;webshell", "exchange;cve-2021-26855"):
            assert taxonomy.pair_is_valid(
                conversions.scan_exchange_taxonomy(tag), conversions.scan_exchange_type(tag)
            ), code


def test_reports_json_classifications_are_in_the_taxonomy() -> None:
    document = json.loads(shadowserver_file("reports.json").read_text("utf-8"))
    taxonomy = rsit()
    for code, body in document.items():
        if "classification.type" in body:
            assert taxonomy.pair_is_valid(
                body["classification.taxonomy"], body["classification.type"]
            ), code


def test_taxonomy_shape() -> None:
    taxonomy = rsit()
    assert set(taxonomy.classes) == {
        "abusive-content",
        "malicious-code",
        "information-gathering",
        "intrusion-attempts",
        "intrusions",
        "availability",
        "information-content-security",
        "fraud",
        "vulnerable",
        "other",
        "test",
    }
    assert set(taxonomy.classes["vulnerable"].types) == {
        "ddos-amplifier",
        "information-disclosure",
        "potentially-unwanted-accessible",
        "vulnerable-system",
        "weak-crypto",
    }
    # Type names are unique across classes, so a type tells its class.
    all_types = [t for c in taxonomy.classes.values() for t in c.types]
    assert len(all_types) == len(set(all_types))
    assert taxonomy.class_of("infected-system") == "malicious-code"
    # Every addition to RSIT names a type that exists, and says where it comes from.
    for pair, origin in taxonomy.additions.items():
        cls, type_ = pair.split("/")
        assert taxonomy.pair_is_valid(cls, type_), pair
        assert origin
    assert taxonomy.class_of("nonsense") is None


GOOD: list[tuple[str, Any, Any]] = [
    ("source.ip", " 192.0.2.1 ", "192.0.2.1"),
    ("source.ip", "2001:DB8:0:0::1", "2001:db8::1"),
    ("source.network", "192.0.2.7/24", "192.0.2.0/24"),
    ("source.port", "0", 0),
    ("source.port", "65535", 65535),
    ("source.asn", "AS64500", 64500),
    ("source.asn", "4294967295", 4294967295),
    ("time.source", "2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("time.source", "2024-01-02T08:04:05+05:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("time.source", "2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("time.source", "2024-01-02 03:04:05 UTC", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("source.fqdn", "WWW.Example.PK.", "www.example.pk"),
    ("source.fqdn", "bücher.example", "xn--bcher-kva.example"),
    ("source.reverse_dns", "_dmarc.example.pk", "_dmarc.example.pk"),
    ("source.url", "HTTP://Example.PK/Path?q=A", "http://example.pk/Path?q=A"),
    ("severity", "High", "high"),
    ("source.geolocation.cc", "pk", "PK"),
    ("classification.taxonomy", "Vulnerable", "vulnerable"),
    ("classification.type", "ddos-amplifier", "ddos-amplifier"),
    ("malware.hash.md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("protocol.transport", "TCP", "tcp"),
]


@pytest.mark.parametrize(("field", "text", "expected"), GOOD)
def test_normalisers_canonicalise(field: str, text: str, expected: Any) -> None:
    assert h.normaliser(field)(text) == expected


BAD: list[tuple[str, str, str]] = [
    ("source.ip", "192.0.2.256", "not an IP address"),
    ("source.ip", "192.0.2", "not an IP address"),
    ("source.port", "65536", "outside 0 to 65535"),
    ("source.port", "-1", "outside 0 to 65535"),
    ("source.port", "http", "not a whole number"),
    ("source.asn", "0", "outside 1 to 4294967295"),
    ("source.asn", "4294967296", "outside 1 to 4294967295"),
    ("time.source", "2024-13-01 00:00:00", "not an ISO 8601"),
    ("source.fqdn", "bad name.example", "not a DNS name"),
    ("source.fqdn", "-x.example", "not a DNS name"),
    ("source.url", "/relative/path", "not an absolute URL"),
    ("source.url", "http://exa mple.pk/", "not an absolute URL"),
    ("severity", "urgent", "not a severity"),
    ("source.geolocation.cc", "PAK", "not a two-letter country code"),
    ("classification.taxonomy", "malware", "not an RSIT class"),
    ("classification.type", "botnet", "not an RSIT type"),
    ("malware.hash.sha1", "abc", "not a SHA-1 digest"),
    ("malware.hash.sha256", "z" * 64, "not a SHA-256 digest"),
    ("event_description.text", "x" * (h.MAX_TEXT + 1), "longer than 4096 characters"),
]


@pytest.mark.parametrize(("field", "text", "reason"), BAD)
def test_normalisers_refuse_with_a_reason(field: str, text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        h.normaliser(field)(text)


def test_datetime_converts_offsets_to_utc() -> None:
    moment = datetime(2024, 1, 2, 8, 0, tzinfo=timezone(timedelta(hours=5)))
    assert h.normaliser("time.source")(moment) == datetime(2024, 1, 2, 3, 0, tzinfo=UTC)


def test_boolean_and_float_and_integer_types() -> None:
    assert h.Boolean().normalise("Y") is True
    assert h.Boolean().normalise("false") is False
    with pytest.raises(ValueError, match="not true or false"):
        h.Boolean().normalise("maybe")
    assert h.Float().normalise("28.5") == 28.5
    with pytest.raises(ValueError, match="not a finite number"):
        h.Float().normalise("nan")
    assert h.Integer().normalise("42") == 42
    with pytest.raises(ValueError, match="not a whole number"):
        h.Integer().normalise(True)


def test_unknown_field_has_no_normaliser() -> None:
    assert not h.is_field("extra.tag")
    with pytest.raises(KeyError):
        h.normaliser("source.nonsense")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("extract_cve_from_tag", "http;CVE-2021-41773;cve-2021-41773;log4j", "CVE-2021-41773"),
        ("extract_cve_from_tag", "http", None),
        ("invalidate_zero", "0", None),
        ("invalidate_zero", "64500", 64500),
        ("validate_to_none", "  ", None),
        ("convert_bool", "N", False),
        (
            "convert_date",
            "Mon, 05 Feb 2024 08:15:01 GMT",
            datetime(2024, 2, 5, 8, 15, 1, tzinfo=UTC),
        ),
        ("convert_date", "2024-02-05 08:15:01", datetime(2024, 2, 5, 8, 15, 1, tzinfo=UTC)),
        ("force_base64", "R0VUIC8=", "R0VUIC8="),
        ("force_base64", "GET /", "R0VUIC8="),
        ("set_tor_node", "yes", True),
        ("set_tor_node", "", None),
    ],
)
def test_conversions(name: str, text: str, expected: Any) -> None:
    assert conversions.CONVERSIONS[name](text) == expected


def test_row_conversions() -> None:
    url = conversions.ROW_CONVERSIONS["convert_http_host_and_url"]
    row = {"http_host": "c2.example.net", "http_url": "/gate.php", "dst_port": "443"}
    assert url("/gate.php", row) == "https://c2.example.net/gate.php"
    assert url("http://x.example/a", {}) == "http://x.example/a"
    assert url("/a", {}) is None
    detail = conversions.ROW_CONVERSIONS["category_or_detail"]
    assert detail("", {"detail": "d"}) == "d"
    assert detail("c", {"detail": "d"}) == "c"


def test_docs_field_table_is_current() -> None:
    """docs/feeds-harmonisation.md carries the registry's table; regenerate it with
    ``python -c 'from certnet.feeds.harmonisation import field_table; print(field_table())'``."""
    doc = (REPO / "docs" / "feeds-harmonisation.md").read_text("utf-8")
    start, end = "<!-- fields:start -->\n", "<!-- fields:end -->"
    assert start in doc
    assert end in doc
    current = doc.split(start, 1)[1].split(end, 1)[0]
    assert current == h.field_table()
