"""StixParser: STIX 2.1 indicator bundles to harmonised batches; what it cannot express is
quarantined with the reason, never dropped. The stix2 library builds the bundles."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stix2  # type: ignore[import-untyped]  # no type information shipped

from certnet.core.errors import Invalid
from certnet.feeds.batch import ParsedBatch
from certnet.feeds.experts import plain
from certnet.feeds.parsers.stix import REPORT_TYPE, StixParser

SAMPLES = Path(__file__).parent
TLP2_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
VALID_FROM = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def _indicator(pattern: str, **extra: Any) -> stix2.Indicator:
    options: dict[str, Any] = {
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": VALID_FROM,
        "indicator_types": ["malicious-activity"],
        "allow_custom": True,
    }
    options.update(extra)
    return stix2.Indicator(**options)


def _bundle(*objects: Any) -> bytes:
    return str(stix2.Bundle(*objects, allow_custom=True).serialize()).encode()


def _parse(data: bytes, batch_size: int = 50_000) -> list[ParsedBatch]:
    return list(
        StixParser().parse(io.BytesIO(data), report_type=REPORT_TYPE, batch_size=batch_size)
    )


def test_detects_a_bundle_and_not_a_csv() -> None:
    parser = StixParser()
    assert parser.detect("x.json", _bundle(_indicator("[ipv4-addr:value = '192.0.2.1']"))) == (
        REPORT_TYPE
    )
    assert parser.detect("x.csv", b"timestamp,ip,port\n") is None


def test_indicators_become_harmonised_rows() -> None:
    identity = stix2.Identity(name="Partner CERT", identity_class="organization")
    data = _bundle(
        identity,
        _indicator(
            "[ipv4-addr:value = '192.0.2.10']",
            name="C2 host",
            confidence=80,
            created_by_ref=identity.id,
            object_marking_refs=[stix2.TLP_GREEN.id],
        ),
        _indicator("[domain-name:value = 'Bad.Example.PK']", indicator_types=["compromised"]),
        _indicator("[url:value = 'HTTP://Evil.example/x.exe']"),
        _indicator(
            "[network-traffic:dst_ref.value = '2001:db8::0001'"
            " AND network-traffic:dst_port = 8443]",
            object_marking_refs=[TLP2_AMBER_STRICT, stix2.TLP_GREEN.id],
        ),
        _indicator("[file:hashes.'SHA-256' = '" + "AB" * 32 + "']"),
    )
    (batch,) = _parse(data)
    assert batch.size == 5
    assert not batch.rejected
    assert batch.lines == [2, 3, 4, 5, 6]  # the identity (object 1) supports, it is no row
    cols = batch.columns
    assert cols["source.ip"] == ["192.0.2.10", None, None, "2001:db8::1", None]
    assert cols["source.fqdn"][1] == "bad.example.pk"
    assert cols["source.url"][2] == "http://evil.example/x.exe"
    assert cols["source.port"][3] == 8443
    assert cols["malware.hash.sha256"][4] == "ab" * 32
    assert cols["classification.taxonomy"][:2] == ["malicious-code", "intrusions"]
    assert cols["classification.type"][:2] == ["malware-distribution", "system-compromise"]
    assert cols["time.source"][0] == VALID_FROM
    assert cols["feed.provider"][0] == "Partner CERT"
    assert cols["feed.provider"][1] == "STIX"
    assert cols["event_description.text"][0] == "C2 host"
    assert batch.extra[0]["confidence"] == 80
    assert batch.extra[0]["tlp"] == "green"
    assert batch.extra[3]["tlp"] == "amber+strict"  # the most restrictive marking wins
    assert json.loads(batch.raw[0])["pattern"] == "[ipv4-addr:value = '192.0.2.10']"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2']", "uses OR"),
        ("[domain-name:value = 'a.pk' OR domain-name:value = 'b.pk']", "uses OR"),
        ("[url:value LIKE 'http://x%']", "only = is supported"),
        ("[email-addr:value = 'a@b.pk']", "no harmonised field for email-addr:value"),
        ("[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES", "qualifiers"),
        ("[ipv4-addr:value = '999.1.1.1']", "source.ip"),
        ("[network-traffic:dst_port = 22]", "names no host"),
    ],
)
def test_patterns_it_cannot_express_are_quarantined(pattern: str, reason: str) -> None:
    (batch,) = _parse(_bundle(_indicator(pattern)))
    assert batch.size == 0
    (rejected,) = batch.rejected
    assert reason in rejected.reason
    assert rejected.line == 1
    assert pattern in json.loads(rejected.raw)["pattern"]


def test_other_objects_and_invalid_indicators_are_quarantined_with_reasons() -> None:
    malware = stix2.Malware(name="Emotet", is_family=True)
    good = _indicator("[ipv4-addr:value = '192.0.2.1']")
    revoked = _indicator("[ipv4-addr:value = '192.0.2.2']", revoked=True)
    benign = _indicator("[ipv4-addr:value = '192.0.2.3']", indicator_types=["benign"])
    broken = json.loads(good.serialize())
    broken["id"] = "indicator--4f1c2d36-9b2e-4c1e-8f3a-2b7c5d6e7f80"
    del broken["pattern"]
    document = json.loads(_bundle(malware, good, revoked, benign))
    document["objects"].append(broken)
    document["objects"].append("not an object")
    (batch,) = _parse(json.dumps(document).encode())
    assert batch.size == 1
    reasons = {r.line: r.reason for r in batch.rejected}
    assert set(reasons) == {1, 3, 4, 5, 6}
    assert "not an indicator: a STIX malware" in reasons[1]
    assert reasons[3] == "revoked indicator"
    assert "benign" in reasons[4]
    assert "invalid STIX indicator" in reasons[5]
    assert "pattern" in reasons[5]
    assert "not a STIX object" in reasons[6]
    assert batch.rows_read == 6  # every object accounted for


def test_batches_are_bounded() -> None:
    data = _bundle(*[_indicator(f"[ipv4-addr:value = '192.0.2.{i}']") for i in range(1, 8)])
    batches = _parse(data, batch_size=3)
    assert [b.rows_read for b in batches] == [3, 3, 1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"type": "bundle", "objects": [', "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"type": "indicator"}', "not a STIX bundle"),
        (b'{"type": "bundle", "objects": {}}', "must be a list"),
    ],
)
def test_input_that_is_no_bundle_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        _parse(data)


def test_unknown_report_type_names_the_expected_one() -> None:
    with pytest.raises(Invalid, match=REPORT_TYPE):
        list(StixParser().parse(io.BytesIO(b"{}"), report_type="scan_http"))


def test_committed_sample_bundle_gives_the_reviewed_output() -> None:
    """A realistic bundle (TLP marking, identity, malware with an ``indicates``
    relationship, an OR pattern, an e-mail pattern) against its reviewed harmonised output."""
    data = (SAMPLES / "test_stix_sample_bundle.json").read_bytes()
    expected = json.loads((SAMPLES / "test_stix_sample_expected.json").read_text())
    (batch,) = _parse(data)
    events = [
        {
            "line": line,
            "fields": {
                name: plain(values[i])
                for name, values in sorted(batch.columns.items())
                if values[i] is not None
            },
            "extra": batch.extra[i],
        }
        for i, line in enumerate(batch.lines)
    ]
    quarantined = [{"line": r.line, "reason": r.reason, "field": r.field} for r in batch.rejected]
    assert events == expected["events"]
    assert quarantined == expected["quarantined"]
    assert batch.rows_read == len(json.loads(data)["objects"]) - 2  # marking + identity


def test_stix_2_0_indicators_are_read_too() -> None:
    indicator = stix2.v20.Indicator(
        pattern="[domain-name:value = 'old.example.pk']",
        valid_from=VALID_FROM,
        labels=["compromised"],
    )
    data = str(stix2.v20.Bundle(indicator).serialize()).encode()
    (batch,) = _parse(data)
    assert batch.columns["source.fqdn"] == ["old.example.pk"]
    assert batch.columns["classification.type"] == ["system-compromise"]
    assert not batch.rejected


def test_a_description_too_long_for_its_field_is_kept_whole_not_cut() -> None:
    long_name = "x" * 5000
    (batch,) = _parse(_bundle(_indicator("[ipv4-addr:value = '192.0.2.5']", name=long_name)))
    assert batch.size == 1
    assert "event_description.text" not in batch.columns
    assert batch.extra[0]["description"] == long_name
