"""Bad input: every row still ends somewhere (a batch row, or quarantined with its line, its
text and a reason naming the field), and only a file that cannot be the report is an error."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certnet.core.errors import Invalid
from certnet.feeds.parsers import lines as report_lines
from certnet.feeds.parsers import shadowserver
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from tests.unit.feeds.conftest import FIXTURES, parse_bytes, rows_of

HEADER = "timestamp,severity,ip,protocol,port,hostname,tag,asn,geo,region,city"
GOOD = "2024-02-05 08:15:01,info,192.0.2.10,tcp,80,www.example.pk,http,64500,PK,PUNJAB,LAHORE"
GOOD2 = "2024-02-05 08:15:02,info,192.0.2.12,tcp,443,,http,64500,PK,SINDH,KARACHI"


def report(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_byte_order_mark_is_dropped(parser: ShadowserverParser) -> None:
    sample = (FIXTURES / "2024-02-05-scan_http-pk-geo.csv").read_bytes()
    data = b"\xef\xbb\xbf" + sample
    assert parser.detect("upload.csv", data) == "scan_http"
    rows = rows_of(parse_bytes(parser, data, "scan_http"))
    assert rows == rows_of(parse_bytes(parser, sample, "scan_http"))
    assert rows[0]["time.source"].isoformat() == "2024-02-05T08:15:01+00:00"
    (row,) = rows_of(parse_bytes(parser, b"\xef\xbb\xbf" + report(HEADER, GOOD), "scan_http"))
    assert row["source.ip"] == "192.0.2.10"


def test_wrong_column_count_is_quarantined(parser: ShadowserverParser) -> None:
    (batch,) = parse_bytes(
        parser, report(HEADER, GOOD, "2024-02-05 08:15:01,info,192.0.2.1", GOOD2), "scan_http"
    )
    assert batch.size == 2
    (bad,) = batch.rejected
    assert bad.line == 3
    assert bad.raw == "2024-02-05 08:15:01,info,192.0.2.1"
    assert bad.reason == "expected 11 columns, found 3"


@pytest.mark.parametrize(
    ("cell", "field"),
    [("192.0.2.300", "source.ip"), ("not-an-address", "source.ip"), ("", "source.ip")],
)
def test_bad_address_is_quarantined_naming_the_field(
    parser: ShadowserverParser, cell: str, field: str
) -> None:
    line = GOOD.replace("192.0.2.10", cell)
    (batch,) = parse_bytes(parser, report(HEADER, GOOD2, line), "scan_http")
    assert batch.size == 1
    assert batch.raw == [GOOD2]
    (bad,) = batch.rejected
    assert (bad.line, bad.raw, bad.field) == (3, line, field)
    assert "source.ip (column ip)" in bad.reason


@pytest.mark.parametrize("stamp", ["2024-02-30 08:15:01", "yesterday", "2024-02-05 25:00:00"])
def test_bad_timestamp_is_quarantined(parser: ShadowserverParser, stamp: str) -> None:
    line = GOOD.replace("2024-02-05 08:15:01", stamp)
    (batch,) = parse_bytes(parser, report(HEADER, line, GOOD2), "scan_http")
    assert batch.size == 1
    (bad,) = batch.rejected
    assert bad.field == "time.source"
    assert stamp in bad.reason


def test_bad_port_and_asn_are_quarantined(parser: ShadowserverParser) -> None:
    bad_port = GOOD.replace(",80,", ",70000,")
    bad_asn = GOOD2.replace(",64500,", ",AS-x,")
    (batch,) = parse_bytes(parser, report(HEADER, bad_port, bad_asn, GOOD), "scan_http")
    assert batch.size == 1
    assert [(r.line, r.field) for r in batch.rejected] == [(2, "source.port"), (3, "source.asn")]
    assert "outside 0 to 65535" in batch.rejected[0].reason


def test_huge_field_is_refused_not_truncated(parser: ShadowserverParser) -> None:
    huge = "x" * 5000
    line = GOOD.replace("www.example.pk", huge)
    (batch,) = parse_bytes(parser, report(HEADER, line, GOOD2), "scan_http")
    assert batch.size == 1
    (bad,) = batch.rejected
    assert bad.field == "hostname"
    assert "longer than 4096 characters (5000)" in bad.reason
    assert bad.raw == line


def test_huge_field_in_an_unknown_column_is_refused_too(parser: ShadowserverParser) -> None:
    (batch,) = parse_bytes(
        parser, report(HEADER + ",banner", GOOD + "," + "b" * 5000, GOOD2 + ",ok"), "scan_http"
    )
    assert batch.size == 1
    assert batch.rejected[0].field == "banner"


def test_line_longer_than_the_limit_is_skipped_without_holding_it(
    parser: ShadowserverParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line past the byte limit is quarantined with its beginning; the lines after it keep
    their numbers. (The limit is lowered so the test stays small.)"""
    monkeypatch.setattr(report_lines, "MAX_LINE_BYTES", 2000)
    monster = GOOD + ",".join(["y" * 500] * 10)
    for chunk in (64, 1 << 20):  # the monster across many reads, and within one
        stream = io.BytesIO(report(HEADER, GOOD, monster, GOOD2))
        lines = shadowserver._Reading(parser.schema.resolve("scan_http"), stream)
        lines.lines.chunk_bytes = chunk
        batch = lines.next_batch(100)
        assert batch is not None
        assert batch.lines == [2, 4]
        (bad,) = batch.rejected
        assert bad.line == 3
        assert bad.reason.startswith("line longer than 2000 bytes")
        assert bad.raw.startswith(GOOD[:100])
        assert len(bad.raw) < 1100


def test_truncated_last_line(parser: ShadowserverParser) -> None:
    """A file cut off mid-row (no final newline): the partial row is quarantined."""
    data = report(HEADER, GOOD) + GOOD2[:30].encode()
    (batch,) = parse_bytes(parser, data, "scan_http")
    assert batch.size == 1
    (bad,) = batch.rejected
    assert (bad.line, bad.raw) == (3, GOOD2[:30])


def test_truncated_inside_a_quoted_field(parser: ShadowserverParser) -> None:
    data = report(HEADER, GOOD) + b'2024-02-05 08:15:02,info,192.0.2.12,tcp,443,"unfinished'
    (batch,) = parse_bytes(parser, data, "scan_http")
    assert batch.size == 1
    assert [r.line for r in batch.rejected] == [3]


def test_quoted_newline_keeps_the_record_whole(parser: ShadowserverParser) -> None:
    line = GOOD.replace(",http,", ',"http\nmore",')
    (batch,) = parse_bytes(parser, report(HEADER, line, GOOD2), "scan_http")
    assert batch.lines == [2, 4]
    assert batch.raw[0] == line
    assert batch.extra_of(0)["tag"] == "http\nmore"


def test_broken_utf8_byte_costs_one_row(parser: ShadowserverParser) -> None:
    broken = GOOD.replace("LAHORE", "LAH\xd6RE").encode("latin-1")
    data = report(HEADER, GOOD2) + broken + b"\n" + report(GOOD)
    (batch,) = parse_bytes(parser, data, "scan_http")
    assert batch.lines == [2, 4]
    (bad,) = batch.rejected
    assert bad.line == 3
    assert bad.reason.startswith("not UTF-8 (byte")
    assert "LAH" in bad.raw


def test_nul_character_is_quarantined_and_escaped(parser: ShadowserverParser) -> None:
    line = GOOD.replace("LAHORE", "LA\x00HORE")
    (batch,) = parse_bytes(parser, report(HEADER, line, GOOD2), "scan_http")
    assert batch.lines == [3]
    (bad,) = batch.rejected
    assert bad.reason == "contains a NUL character"
    assert bad.raw == GOOD.replace("LAHORE", "LA\\x00HORE")
    assert "\x00" not in bad.raw


def test_unknown_report_type_names_the_close_ones(parser: ShadowserverParser) -> None:
    with pytest.raises(Invalid) as caught:
        parse_bytes(parser, report(HEADER, GOOD), "scan_htp")
    assert "'scan_htp' is not a Shadowserver report type" in str(caught.value)
    assert "scan_http" in str(caught.value)


def test_header_of_another_report_is_an_error(parser: ShadowserverParser) -> None:
    with pytest.raises(Invalid) as caught:
        parse_bytes(
            parser,
            report("timestamp,src_ip,src_port", "2024-02-05 00:00:00,192.0.2.1,1"),
            "scan_http",
        )
    assert "not a scan_http report: missing column(s) ip, port" in str(caught.value)


def test_empty_file_is_an_error(parser: ShadowserverParser) -> None:
    with pytest.raises(Invalid, match="no header line"):
        parse_bytes(parser, b"", "scan_http")


def test_unknown_file_is_not_detected(parser: ShadowserverParser) -> None:
    assert parser.detect("notes.csv", b"name,colour\nx,y\n") is None
    assert parser.detect(None, b"") is None
    assert parser.detect("2024-02-05-not_a_report-pk-geo.csv", b"a,b\n") is None


def test_unexpected_column_is_kept_in_extra(parser: ShadowserverParser) -> None:
    (batch,) = parse_bytes(
        parser, report(HEADER + ",new_column", GOOD + ",hello", GOOD2 + ","), "scan_http"
    )
    assert batch.extra_of(0)["new_column"] == "hello"
    assert "new_column" not in batch.extra_of(1)  # empty cells are left out
    assert batch.columns["source.ip"] == ["192.0.2.10", "192.0.2.12"]


def test_blank_lines_are_not_records(parser: ShadowserverParser) -> None:
    (batch,) = parse_bytes(parser, report(HEADER, "", GOOD, "", GOOD2), "scan_http")
    assert batch.lines == [3, 5]
    assert batch.rejected == []


def test_windows_line_ends(parser: ShadowserverParser) -> None:
    data = report(HEADER, GOOD, GOOD2).replace(b"\n", b"\r\n")
    (batch,) = parse_bytes(parser, data, "scan_http")
    assert batch.raw == [GOOD, GOOD2]


_cell = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters='\r\n\x00"'),
    max_size=12,
)
_row = st.one_of(
    st.just(GOOD),
    st.just(GOOD2),
    st.lists(_cell, min_size=1, max_size=14).map(lambda cells: ",".join(cells)),
    st.builds(lambda ip: GOOD.replace("192.0.2.10", ip), _cell),
    st.builds(lambda port: GOOD.replace(",80,", f",{port},"), _cell),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, max_size=40), batch_size=st.integers(1, 7))
def test_every_row_is_accounted_for(
    parser: ShadowserverParser, rows: list[str], batch_size: int
) -> None:
    """accepted + quarantined == records, in any batching; no line is counted twice. (No
    quotes here: with them one record may span lines, which its own test covers.)"""
    data = report(HEADER, *rows)
    batches = parse_bytes(parser, data, "scan_http", batch_size=batch_size)
    seen = [n for b in batches for n in b.lines] + [r.line for b in batches for r in b.rejected]
    non_blank = [i + 2 for i, r in enumerate(rows) if r != ""]
    assert sorted(seen) == non_blank
    assert sum(b.rows_read for b in batches) == len(non_blank)
    assert all(b.rows_read <= batch_size for b in batches)
