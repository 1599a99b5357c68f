"""Notification texts: every report type's template in every language renders, Urdu reads
right to left, unknown types fall back to the generic text, and the CSV keeps every field."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from certnet.feeds.models import Event
from certnet.findings import mail
from certnet.findings.models import Finding, Language

SEEN = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
TYPES = sorted(p.stem for p in (mail.TEMPLATES / "en" / "types").glob("*.j2"))


def _finding(host: str, port: int | None) -> Finding:
    return cast(
        Finding, SimpleNamespace(host=host, port=port, issue="accessible-http", last_seen=SEEN)
    )


def _render(
    language: Language, report_type: str, count: int = 2, csv_name: str | None = "t.csv"
) -> mail.Rendered:
    hosts = [_finding(f"203.0.113.{i}", 80) for i in range(count)]
    return mail.render(
        language=language,
        report_type=report_type,
        organisation="First Bank",
        cert="Banking CERT",
        ticket="FND-2026-000007",
        findings=hosts,
        csv_name=csv_name,
        portal_url="https://certnet.example/findings?ticket=FND-2026-000007",
    )


def test_every_type_has_an_english_and_an_urdu_template() -> None:
    assert "generic" in TYPES
    assert len(TYPES) >= 6
    urdu = sorted(p.stem for p in (mail.TEMPLATES / "ur" / "types").glob("*.j2"))
    assert urdu == TYPES


@pytest.mark.parametrize("report_type", TYPES)
@pytest.mark.parametrize("language", list(Language))
def test_each_template_renders_subject_text_and_html(language: Language, report_type: str) -> None:
    rendered = _render(language, report_type)
    assert rendered.subject.startswith("[FND-2026-000007] ")
    assert "\n" not in rendered.subject
    assert "FND-2026-000007" in rendered.text
    assert "203.0.113.1:80" in rendered.text
    assert "t.csv" in rendered.text
    assert "https://certnet.example/findings?ticket=FND-2026-000007" in rendered.html
    if language is Language.URDU:
        assert 'dir="rtl"' in rendered.html
        assert 'lang="ur"' in rendered.html
        # Real Urdu, not English with an Urdu label: Arabic-script letters dominate.
        letters = [c for c in rendered.text if c.isalpha()]
        arabic = [c for c in letters if "\u0600" <= c <= "\u06ff"]
        assert len(arabic) > len(letters) / 2
    else:
        assert 'dir="ltr"' in rendered.html


def test_specific_texts_and_the_generic_fallback() -> None:
    assert "Remote Desktop" in _render(Language.ENGLISH, "scan_rdp").subject
    assert "ریموٹ ڈیسک ٹاپ" in _render(Language.URDU, "scan_rdp").subject
    fallback = _render(Language.ENGLISH, "scan_smb")
    assert "Security issues reported by our feeds" in fallback.subject
    assert "(report: scan_smb)" in fallback.text
    one = _render(Language.ENGLISH, "scan_http", count=1)
    assert one.subject.endswith("1 issue at First Bank")


def test_html_is_escaped_and_the_list_is_cut_with_the_rest_in_the_csv() -> None:
    rendered = mail.render(
        language=Language.ENGLISH,
        report_type="scan_http",
        organisation="<script>Bank</script>",
        cert="CERT",
        ticket="T-1",
        findings=[_finding(f"10.0.{i // 250}.{i % 250}", None) for i in range(mail.SHOWN + 5)],
        csv_name="all.csv",
        portal_url=None,
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "and 5 more (all are in the attached CSV file)" in rendered.text
    assert "10.0.0.0" in rendered.text  # no port: the host alone


def test_the_csv_has_a_bom_typed_columns_and_each_report_field() -> None:
    def event(ip: str, data: dict[str, Any]) -> Event:
        values = dict.fromkeys(mail.CSV_COLUMNS[1:])
        values.update(
            source_ip=ip, source_port=443, time_source=SEEN, report_type="scan_http", data=data
        )
        return cast(Event, SimpleNamespace(**values))

    content = mail.events_csv(
        [
            (
                7,
                event(
                    "203.0.113.5", {"source.reverse_dns": "www.bank.pk", "extra": {"tag": "http"}}
                ),
            ),
            (8, event("2001:db8::1", {"extra": {"server": 'nginx, "قدیم"'}})),
        ]
    )
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["finding_id"] for r in rows] == ["7", "8"]
    assert rows[0]["source_ip"] == "203.0.113.5"
    assert rows[0]["time_source"] == SEEN.isoformat()
    assert rows[0]["source.reverse_dns"] == "www.bank.pk"
    assert rows[0]["extra.tag"] == "http"
    assert rows[1]["extra.server"] == 'nginx, "قدیم"'
    assert rows[1]["extra.tag"] == ""


def test_address_forms() -> None:
    assert mail.address("203.0.113.5", 80) == "203.0.113.5:80"
    assert mail.address("2001:db8::1", 443) == "[2001:db8::1]:443"
    assert mail.address("www.example.pk", None) == "www.example.pk"
