"""MappingParser: CSV / JSON / JSON-lines feeds described by a TOML mapping, checked against
the harmonisation registry; bad rows quarantined with line, text and reason."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certnet.core.errors import Invalid
from certnet.feeds.batch import ParsedBatch
from certnet.feeds.parsers.mapping import Mapping, MappingParser, parser_for_mapping

CSV_MAPPING = """
[feed]
report_type = "partner-blocklist"
name = "Partner blocklist"
provider = "Partner CERT"
format = "csv"
delimiter = ";"

[constants]
"classification.taxonomy" = "other"
"classification.type" = "blocklist"

[fields]
"source.ip" = { from = "addr", required = true }
"source.port" = "port"
"time.source" = { from = "seen", format = "%d/%m/%Y %H:%M" }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _parse(parser: MappingParser, data: bytes, batch_size: int = 50_000) -> list[ParsedBatch]:
    return list(
        parser.parse(
            io.BytesIO(data), report_type=parser.mapping.report_type, batch_size=batch_size
        )
    )


def test_csv_feed_is_harmonised_and_unmapped_columns_kept(tmp_path: Path) -> None:
    parser = parser_for_mapping(_write(tmp_path, CSV_MAPPING))
    data = (
        "\ufeffaddr;port;seen;note\n"
        "192.0.2.1;443;28/11/2026 09:30;listed twice\n"
        "\n"
        "2001:DB8::1;;29/11/2026 10:00;\n"
    ).encode()
    (batch,) = _parse(parser, data)
    assert batch.size == 2
    assert not batch.rejected
    assert batch.lines == [2, 4]
    assert batch.columns["source.ip"] == ["192.0.2.1", "2001:db8::1"]
    assert batch.columns["source.port"] == [443, None]
    assert batch.columns["time.source"][0] == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    assert batch.columns["classification.type"] == ["blocklist", "blocklist"]
    assert batch.columns["feed.provider"] == ["Partner CERT"] * 2
    assert batch.columns["feed.code"] == ["partner-blocklist"] * 2
    assert batch.extra == [{"note": "listed twice"}, {}]
    assert batch.raw[0] == "192.0.2.1;443;28/11/2026 09:30;listed twice"


def test_bad_rows_are_quarantined_with_line_and_reason(tmp_path: Path) -> None:
    parser = parser_for_mapping(_write(tmp_path, CSV_MAPPING))
    data = (
        b"addr;port;seen;note\n"
        b"not-an-ip;1;28/11/2026 09:30;x\n"
        b"192.0.2.2;99999;28/11/2026 09:30;x\n"
        b"192.0.2.3;1;2026-11-28;x\n"
        b"192.0.2.4;1\n"
        b"192.0.2.5;1;28/11/2026 09:30;caf\xe9\n"
        b";1;28/11/2026 09:30;x\n"
        b"192.0.2.6;1;28/11/2026 09:30;fine\n"
    )
    (batch,) = _parse(parser, data)
    assert batch.size == 1
    assert batch.lines == [8]
    reasons = {r.line: r.reason for r in batch.rejected}
    assert "source.ip (addr)" in reasons[2]
    assert "port 99999" in reasons[3]
    assert "does not match %d/%m/%Y %H:%M" in reasons[4]
    assert reasons[5] == "expected 4 columns, found 2"
    assert "not UTF-8" in reasons[6]
    assert "required but empty" in reasons[7]
    assert {r.field for r in batch.rejected if r.line == 2} == {"source.ip"}
    assert batch.rows_read == 7


def test_json_lines_and_json_documents(tmp_path: Path) -> None:
    jsonl = parser_for_mapping(
        _write(
            tmp_path,
            """
[feed]
report_type = "phish-urls"
format = "jsonl"
[constants]
"classification.taxonomy" = "fraud"
"classification.type" = "phishing"
[fields]
"source.url" = "url"
"source.fqdn" = "target.host"
"time.source" = { from = "ts", format = "epoch" }
""",
        )
    )
    data = (
        b'{"url": "https://login.example.pk/x", "target": {"host": "login.example.pk"}, '
        b'"ts": 1764322200, "brand": "bank"}\n'
        b"{broken\n"
        b"[1, 2]\n"
    )
    (batch,) = _parse(jsonl, data)
    assert batch.columns["source.url"] == ["https://login.example.pk/x"]
    assert batch.columns["source.fqdn"] == ["login.example.pk"]
    assert batch.columns["time.source"] == [datetime(2025, 11, 28, 9, 30, tzinfo=UTC)]
    assert batch.extra == [{"brand": "bank"}]
    assert [(r.line, r.reason.split(":")[0]) for r in batch.rejected] == [
        (2, "not JSON"),
        (3, "not a JSON object"),
    ]

    document = Mapping.from_dict(
        {
            "feed": {"report_type": "c2-list", "format": "json", "records": "data.items"},
            "fields": {"source.ip": "ip"},
        }
    )
    (batch,) = _parse(MappingParser(document), b'{"data": {"items": [{"ip": "192.0.2.9"}, 5]}}')
    assert batch.columns["source.ip"] == ["192.0.2.9"]
    assert batch.rejected[0].line == 2


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (
            {"feed": {"report_type": "x"}, "fields": {"source.ipaddr": "ip"}},
            "fields.source.ipaddr",
            "'source.ipaddr' is not a harmonised field",
        ),
        (
            {
                "feed": {"report_type": "x"},
                "constants": {"classification.type": "nope"},
                "fields": {"source.ip": "ip"},
            },
            "constants.classification.type",
            "not an RSIT type",
        ),
        ({"feed": {}, "fields": {"source.ip": "ip"}}, "feed.report_type", "report_type"),
        (
            {"feed": {"report_type": "x", "format": "xml"}, "fields": {"source.ip": "ip"}},
            "feed.format",
            "'xml'",
        ),
        (
            {
                "feed": {"report_type": "x"},
                "fields": {"source.ip": {"from": "ip", "format": "iso"}},
            },
            "fields.source.ip",
            "time fields only",
        ),
        ({"feed": {"report_type": "x"}, "fields": {}}, "fields", "maps no field"),
        (
            {"feed": {"report_type": "x"}, "extras": {}, "fields": {"source.ip": "ip"}},
            "mapping",
            "unknown section",
        ),
    ],
)
def test_mapping_is_checked_against_the_registry(
    document: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        Mapping.from_dict(document)
    assert caught.value.errors[0].field == field
    assert message in caught.value.errors[0].reason


def test_header_without_a_mapped_column_is_refused(tmp_path: Path) -> None:
    parser = parser_for_mapping(_write(tmp_path, CSV_MAPPING))
    with pytest.raises(Invalid, match="missing column"):
        _parse(parser, b"ip;port;seen\n192.0.2.1;1;x\n")


def test_unreadable_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="cannot read mapping"):
        parser_for_mapping(_write(tmp_path, "[feed\nbroken"))


def test_batches_are_bounded(tmp_path: Path) -> None:
    parser = parser_for_mapping(_write(tmp_path, CSV_MAPPING))
    rows = "".join(f"192.0.2.{i};1;28/11/2026 09:30;\n" for i in range(1, 8))
    batches = _parse(parser, ("addr;port;seen;note\n" + rows).encode(), batch_size=3)
    assert [b.rows_read for b in batches] == [3, 3, 1]
