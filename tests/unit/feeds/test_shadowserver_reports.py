"""Harmonised output of Shadowserver reports national CERTs receive every day: for each, a
small hand-written sample (tests/fixtures/feeds/, documentation addresses) and the values the
parser must produce from it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from certnet.feeds.parsers.shadowserver import ShadowserverParser
from tests.shared_data import SHADOWSERVER
from tests.unit.feeds.conftest import FIXTURES, rows_of


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


PK_LAHORE = {
    "source.geolocation.cc": "PK",
    "source.geolocation.region": "PUNJAB",
    "source.geolocation.city": "LAHORE",
}

#: report type → (classification taxonomy, type, identifier, expected rows (subset of values))
EXPECTED: dict[str, tuple[str, str, str | None, list[dict[str, Any]]]] = {
    "scan_http": (
        "vulnerable",
        "potentially-unwanted-accessible",
        "accessible-http",
        [
            {
                "time.source": at("2024-02-05 08:15:01"),
                "source.ip": "192.0.2.10",
                "source.port": 80,
                "source.asn": 64500,
                "source.reverse_dns": "www.example.pk",
                "protocol.transport": "tcp",
                "protocol.application": "http",
                "severity": "info",
                **PK_LAHORE,
                "extra": {
                    "tag": "http",
                    "source.naics": "0",
                    "hostname_source": "ptr",
                    "http": "HTTP/1.1",
                    "http_code": "200",
                    "http_reason": "OK",
                    "content_type": "text/html",
                    "server": "nginx/1.18.0",
                    "content_length": "612",
                    "http_date": "Mon, 05 Feb 2024 08:15:01 GMT",
                },
            },
            {
                "source.ip": "192.0.2.11",
                "source.port": 8080,
                "severity": "high",
                "product.vulnerabilities": "CVE-2021-41773",
            },
        ],
    ),
    "scan_dns": (
        "vulnerable",
        "vulnerable-system",
        "dns-open-resolver",
        [
            {
                "time.source": at("2024-02-05 01:02:03"),
                "source.ip": "198.51.100.53",
                "source.port": 53,
                "protocol.transport": "udp",
                "protocol.application": "dns",
                "source.reverse_dns": "ns1.example.pk",
                "source.asn": 64501,
            },
            # asn 0 is Shadowserver's "no AS": no value, not AS0.
            {"source.ip": "198.51.100.54", "source.geolocation.region": "SINDH"},
        ],
    ),
    "scan_rdp": (
        "vulnerable",
        "vulnerable-system",
        "open-rdp",
        [
            {
                "source.ip": "203.0.113.89",
                "source.port": 3389,
                "protocol.application": "rdp",
                "source.reverse_dns": "rdp.example.com.pk",
                "severity": "high",
            }
        ],
    ),
    "scan_exchange": (
        "vulnerable",
        "vulnerable-system",
        "vulnerable-exchange-server",
        [
            {
                "source.ip": "203.0.113.25",
                "source.port": 443,
                "protocol.application": "exchange",
                "destination.url": "https://mail.example.gov.pk/owa/",
                "product.vulnerabilities": "CVE-2021-26855,CVE-2021-27065",
                "severity": "critical",
            },
            # A web shell found is an intrusion, not a vulnerability (classified per row).
            {
                "source.ip": "203.0.113.26",
                "classification.taxonomy": "intrusions",
                "classification.type": "system-compromise",
                "classification.identifier": "exchange-server-webshell",
            },
        ],
    ),
    "scan_ssl_poodle": (
        "vulnerable",
        "weak-crypto",
        "ssl-poodle",
        [
            {
                "source.ip": "192.0.2.44",
                "source.port": 443,
                "protocol.application": "https",
                "severity": "low",
                **PK_LAHORE,
            }
        ],
    ),
    "device_id": (
        "vulnerable",
        "potentially-unwanted-accessible",
        "device-id",
        [
            {
                "source.ip": "198.51.100.7",
                "product.vendor": "Fortinet",
                "product.name": "FortiGate",
                "product.version": "7.0.12",
                "extra": {"naics": "0", "device_type": "firewall"},
            },
            {"source.ip": "2001:db8::7", "source.port": 22, "product.vendor": "MikroTik"},
        ],
    ),
    "event4_sinkhole_http": (
        "malicious-code",
        "infected-system",
        None,
        [
            {
                "time.source": at("2024-02-05 02:22:22"),
                "source.ip": "192.0.2.66",
                "source.port": 49152,
                "source.asn": 64506,
                "source.reverse_dns": "host66.example.pk",
                "destination.ip": "198.51.100.200",
                "destination.port": 80,
                "destination.asn": 64511,
                "destination.geolocation.cc": "US",
                "destination.fqdn": "c2.example.net",
                "destination.url": "http://c2.example.net/gate.php?id=1",
                "malware.name": "andromeda",
                "classification.identifier": "andromeda",
                "protocol.application": "http",
                **PK_LAHORE,
            }
        ],
    ),
    "compromised_website": (
        "intrusions",
        "system-compromise",
        "compromised-website",
        [
            {
                "source.ip": "203.0.113.77",
                "source.fqdn": "shop.example.pk",
                "source.url": "http://shop.example.pk/wp-content/x.php",
                "event_description.text": "injected script",  # category empty: the detail
                "malware.name": "magecart",
                "status": "online",
            }
        ],
    ),
    "blocklist": (
        "other",
        "blocklist",
        "blacklisted-ip",
        [
            {
                "source.ip": "198.51.100.99",
                "source.network": "198.51.100.99/32",
                "source.asn": 64508,
                "severity": "low",
                "extra": {
                    "source_name": "spamhaus-drop",
                    "reason": "botnet c2",
                    "tag": "blocklist",
                    "naics": "517311",
                    "sector": "Communications",
                },
            }
        ],
    ),
    "scan_ntp": (
        "vulnerable",
        "vulnerable-system",
        "ntp-version",
        [
            {
                "source.ip": "192.0.2.123",
                "source.port": 123,
                "protocol.transport": "udp",
                "protocol.application": "ntp",
            }
        ],
    ),
    "scan_ssdp": (
        "vulnerable",
        "vulnerable-system",
        "open-ssdp",
        [{"source.ip": "198.51.100.190", "source.port": 1900, "protocol.application": "ssdp"}],
    ),
    "scan6_http": (
        "vulnerable",
        "potentially-unwanted-accessible",
        "accessible-http",
        [{"source.ip": "2001:db8::80", "source.reverse_dns": "v6.example.pk"}],
    ),
}


def fixture_for(report_type: str) -> Path:
    return FIXTURES / f"2024-02-05-{report_type}-pk-geo.csv"


@pytest.mark.parametrize("report_type", sorted(EXPECTED))
def test_harmonised_output(parser: ShadowserverParser, report_type: str) -> None:
    taxonomy, type_, identifier, expected_rows = EXPECTED[report_type]
    path = fixture_for(report_type)
    data = path.read_bytes()
    assert parser.detect(path.name, data[:4096]) == report_type
    with path.open("rb") as stream:
        batches = list(parser.parse(stream, report_type=report_type))
    assert all(b.report_type == report_type and not b.rejected for b in batches)
    rows = rows_of(batches)
    assert len(rows) == len(expected_rows)
    for row, expected in zip(rows, expected_rows, strict=True):
        defaults = {"classification.taxonomy": taxonomy, "classification.type": type_}
        if identifier:
            defaults["classification.identifier"] = identifier
        for name, value in {**defaults, **expected}.items():
            assert row.get(name) == value, f"{report_type}: {name}"
        assert row["feed.provider"] == "Shadowserver"
        assert row["feed.code"] == report_type


@pytest.mark.parametrize("report_type", sorted(EXPECTED))
def test_report_type_from_header_alone(parser: ShadowserverParser, report_type: str) -> None:
    """Without Shadowserver's file name, the header (and, between an IPv4 and an IPv6 twin,
    the first address) tells the type, unless another report has the very same columns."""
    data = fixture_for(report_type).read_bytes()
    candidates = parser.candidates("upload.csv", data[:4096])
    assert report_type in candidates
    if report_type in SAME_COLUMNS_AS_ANOTHER:
        assert parser.detect("upload.csv", data[:4096]) is None
        assert set(candidates) == SAME_COLUMNS_AS_ANOTHER[report_type]
    else:
        assert candidates == [report_type]
        assert parser.detect(None, data[:4096]) == report_type


#: Reports whose columns another IPv4 report has too: the header cannot tell them apart.
SAME_COLUMNS_AS_ANOTHER = {
    "event4_sinkhole_http": {"event4_sinkhole_http", "event4_microsoft_sinkhole_http"},
}


def test_lines_and_raw_text_are_kept(parser: ShadowserverParser) -> None:
    path = fixture_for("scan_http")
    with path.open("rb") as stream:
        (batch,) = parser.parse(stream, report_type="scan_http")
    source_lines = path.read_text("utf-8").splitlines()
    assert batch.lines == [2, 3]
    assert batch.raw == source_lines[1:3]


def test_every_column_set_is_the_same_per_report(parser: ShadowserverParser) -> None:
    """Every batch of a report carries the same harmonised columns, each as long as the batch
    (what a columnar store needs), empty values as None."""
    with fixture_for("scan_dns").open("rb") as stream:
        batches = list(parser.parse(stream, report_type="scan_dns", batch_size=1))
    assert len(batches) == 2
    assert batches[0].columns.keys() == batches[1].columns.keys()
    assert batches[1].columns["source.asn"] == [None]
    for batch in batches:
        assert all(len(values) == batch.size for values in batch.columns.values())


def test_benchmark_generator_report_parses_clean(
    parser: ShadowserverParser, tmp_path: Path
) -> None:
    """The peer benchmark's generated scan_http report (Shadowserver's current columns) parses
    with every row accepted, in several batches."""
    generator = SHADOWSERVER.parent.parent / "bench" / "intelmq" / "gen_shadowserver.py"
    assert generator.is_file(), f"missing {generator}"
    subprocess.run(
        [sys.executable, str(generator), "-n", "3000", "--outdir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (path,) = tmp_path.glob("n3000/*-scan_http-*.csv")
    assert parser.detect(path.name, path.read_bytes()[:4096]) == "scan_http"
    with path.open("rb") as stream:
        batches = list(parser.parse(stream, report_type="scan_http", batch_size=1000))
    assert [b.size for b in batches] == [1000, 1000, 1000]
    assert not any(b.rejected for b in batches)
    assert batches[-1].lines[-1] == 3001
    assert all(v is not None for b in batches for v in b.columns["source.ip"])
