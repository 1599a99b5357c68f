"""Reading report mails (no database): the body and its hints, attachments, and the mails the
intake must refuse with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from certnet.core.errors import Invalid
from certnet.incidents.intake.mail import MailProblem, hints_of, html_text, read_mail
from certnet.incidents.intake.models import QuarantineReason
from certnet.incidents.intake.reading import parse_time, report_of
from tests.integration.incidents_intake.conftest import report_mail

RECEIVED = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PKT = timezone(timedelta(hours=5))


def test_hints_and_an_observables_block_are_read_from_the_body() -> None:
    body = (
        "Dear CERT,\n\nwe see phishing.\n\n"
        "Type: phishing\n"
        "Became aware: 2026-11-28 10:00 +05:00\n"
        "TLP: AMBER+STRICT\n"
        "Observables:\n"
        "  - 198.51.100.23\n"
        "  - login-firstbank.example.com\n"
        "\n"
        "IOC: https://login-firstbank.example.com/x, 198.51.100.23\n"
        "Thanks\n"
    )
    hints, observables = hints_of(body)
    assert hints == {
        "type": "phishing",
        "became_aware": "2026-11-28 10:00 +05:00",
        "tlp": "AMBER+STRICT",
    }
    # Duplicates collapse, order is kept.
    assert observables == (
        "198.51.100.23",
        "login-firstbank.example.com",
        "https://login-firstbank.example.com/x",
    )


def test_a_report_mail_becomes_a_report_with_its_hints() -> None:
    mail = read_mail(
        report_mail(
            "Telco SOC <SOC@Telco-One.example.pk>",
            subject="Fwd: Phishing kit on our CDN",
            body="Type: phishing\nBecame aware: 2026-11-28 10:00 +05:00\nSeverity: high\n"
            "Services affected: CDN, webmail\nCross-border: yes\nUsers affected: 1,200\n"
            "Observables:\n198.51.100.23\n",
            attachments=(("headers.txt", "text/plain", b"Received: from x\n"),),
        ).as_bytes()
    )
    assert mail.sender == "soc@telco-one.example.pk"
    report = report_of(
        mail,
        organisation_id=7,
        reporter_name="Telco SOC",
        reporter_email=mail.sender,
        received_at=RECEIVED,
    )
    assert report.title == "Phishing kit on our CDN"
    assert (report.rsit_class, report.rsit_type) == ("fraud", "phishing")
    assert report.became_aware_at == datetime(2026, 11, 28, 10, 0, tzinfo=PKT)
    assert report.severity.value == "high"
    assert report.impact.services_affected == ["CDN", "webmail"]
    assert report.impact.cross_border is True
    assert report.impact.users_affected == 1200
    assert report.tlp == "AMBER"
    assert [o.value for o in report.observables] == ["198.51.100.23"]
    assert [(a.filename, a.content_type, a.content()) for a in report.attachments] == [
        ("headers.txt", "text/plain", b"Received: from x\n")
    ]


def test_defaults_when_the_mail_gives_no_hints() -> None:
    message = report_mail("a@b.example", subject="", body="Our website was defaced.\n")
    message.replace_header("Date", "Sat, 28 Nov 2026 22:00:00 +0000")
    mail = read_mail(message.as_bytes())
    report = report_of(
        mail,
        organisation_id=1,
        reporter_name="",
        reporter_email="a@b.example",
        received_at=RECEIVED,
    )
    assert (report.rsit_class, report.rsit_type) == ("other", "undetermined")
    assert report.title == "Our website was defaced."  # no subject: the first line
    assert report.tlp == "AMBER"
    assert report.pap.value == "AMBER"
    # Became aware: when the mail was written (its Date), never after it arrived.
    assert report.became_aware_at == datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    message.replace_header("Date", "Mon, 30 Nov 2026 08:00:00 +0000")
    late = report_of(
        read_mail(message.as_bytes()),
        organisation_id=1,
        reporter_name="",
        reporter_email="a@b.example",
        received_at=RECEIVED,
    )
    assert late.became_aware_at == RECEIVED


def test_hints_that_cannot_be_read_are_named() -> None:
    mail = read_mail(
        report_mail(
            "a@b.example",
            body="Type: phishng\nBecame aware: last tuesday\nTLP: PURPLE\nCross-border: maybe\n",
        ).as_bytes()
    )
    with pytest.raises(Invalid) as caught:
        report_of(
            mail, organisation_id=1, reporter_name="", reporter_email="", received_at=RECEIVED
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"Type", "Became aware", "TLP", "Cross-border"}
    assert "phishng" in str(caught.value)


def test_an_html_only_mail_is_read_as_text() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Type: ddos</p><p>We are down.</p>"
        b"<script>alert(1)</script></body></html>\r\n"
    )
    mail = read_mail(raw)
    assert mail.body == "Type: ddos\nWe are down."
    assert mail.hints["type"] == "ddos"
    assert html_text("<div>a<br>b</div>") == "a\nb"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"From: a@b.example\r\nSubject: empty\r\n\r\n   \r\n", QuarantineReason.NO_BODY),
        (
            b"From: a@b.example\r\nSubject: cut\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\nno boundary ever\r\n',
            QuarantineReason.BROKEN_MIME,
        ),
    ],
    ids=["no body", "broken MIME"],
)
def test_unreadable_mails_raise_with_their_reason(raw: bytes, reason: QuarantineReason) -> None:
    with pytest.raises(MailProblem) as caught:
        read_mail(raw)
    assert caught.value.reason is reason
    assert caught.value.detail


@pytest.mark.parametrize(
    ("filename", "content_type", "says"),
    [
        ("invoice.exe", "application/x-msdownload", "application/x-msdownload"),
        ("notes.exe", "text/plain", "does not end in"),
    ],
)
def test_disallowed_attachments_are_refused(filename: str, content_type: str, says: str) -> None:
    raw = report_mail("a@b.example", attachments=((filename, content_type, b"MZ"),)).as_bytes()
    with pytest.raises(MailProblem) as caught:
        read_mail(raw)
    assert caught.value.reason is QuarantineReason.DISALLOWED_ATTACHMENT
    assert says in caught.value.detail
    assert filename in caught.value.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28 10:00 +05:00", datetime(2026, 11, 28, 10, 0, tzinfo=PKT)),
        ("2026-11-28T10:00+0500", datetime(2026, 11, 28, 10, 0, tzinfo=PKT)),
        ("2026-11-28 05:00", datetime(2026, 11, 28, 5, 0, tzinfo=UTC)),
        ("2026-11-28 05:00Z", datetime(2026, 11, 28, 5, 0, tzinfo=UTC)),
        ("Sat, 28 Nov 2026 10:00:00 +0500", datetime(2026, 11, 28, 10, 0, tzinfo=PKT)),
    ],
)
def test_times_as_people_write_them(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


def test_a_time_that_is_not_one_says_so() -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday-ish")
