"""Reading a report mail: the sender, subject, text body, attachments and the optional
structured hints in the body (``Type: phishing``, ``TLP: AMBER`` …). Pure functions over
bytes; no database. A mail that cannot be read raises :class:`MailProblem` with the reason
the quarantine records."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from pathlib import PurePosixPath

from certnet.incidents.intake.models import QuarantineReason

#: MIME defects that mean the structure cannot be trusted (a part may be missing or merged).
STRUCTURAL_DEFECTS = (
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
    "MissingHeaderBodySeparatorDefect",
    "InvalidBase64PaddingDefect",
    "InvalidBase64CharactersDefect",
    "InvalidBase64LengthDefect",
    "HeaderParseError",
)

#: Attachment types the intake keeps as evidence (by MIME type; the extension must agree).
ALLOWED_ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "text/plain": (".txt", ".log", ".asc"),
    "text/csv": (".csv",),
    "application/json": (".json",),
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "message/rfc822": (".eml",),
    "application/vnd.tcpdump.pcap": (".pcap", ".pcapng"),
    "application/zip": (".zip",),
}


class MailProblem(Exception):
    """The mail cannot become a report as it stands."""

    def __init__(self, reason: QuarantineReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class MailAttachment:
    """A file that came with the mail."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ReportMail:
    """What the intake reads out of a mail."""

    sender: str
    subject: str
    message_id: str
    date: str
    body: str
    attachments: tuple[MailAttachment, ...]
    hints: dict[str, str] = field(default_factory=dict)
    observables: tuple[str, ...] = ()


class _TextOfHtml(HTMLParser):
    """The readable text of an HTML body (when a mail has no plain-text part)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """Text of an HTML document, one line per block."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _defects(message: Message) -> list[str]:
    found: list[str] = []
    for part in message.walk():
        found.extend(type(defect).__name__ for defect in part.defects)
    return found


def _leaves(message: EmailMessage) -> list[EmailMessage]:
    """The non-multipart parts in order; an attached message counts as one part (its own
    parts are its content, not the report's)."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        return [message]
    found: list[EmailMessage] = []
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        found.extend(_leaves(part))
    return found


def _address(value: str) -> str:
    _, addr = email.utils.parseaddr(value)
    return addr.strip().lower()


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError) as exc:  # an unknown charset or a broken encoding
        raise MailProblem(
            QuarantineReason.BROKEN_MIME, f"the {part.get_content_type()} part cannot be decoded"
        ) from exc
    return content if isinstance(content, str) else ""


def _attachment(part: EmailMessage, position: int) -> MailAttachment:
    content_type = part.get_content_type()
    filename = part.get_filename() or f"attachment-{position}"
    name = PurePosixPath(filename.replace("\\", "/")).name or f"attachment-{position}"
    allowed = ALLOWED_ATTACHMENTS.get(content_type)
    if allowed is None:
        raise MailProblem(
            QuarantineReason.DISALLOWED_ATTACHMENT,
            f"attachment {name!r} is {content_type}, which the intake does not accept",
        )
    if not name.lower().endswith(allowed):
        raise MailProblem(
            QuarantineReason.DISALLOWED_ATTACHMENT,
            f"attachment {name!r} does not end in {' or '.join(allowed)} as {content_type} does",
        )
    if content_type == "message/rfc822":
        inner = part.get_content()
        content = inner.as_bytes() if isinstance(inner, Message) else b""
    else:
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
    return MailAttachment(filename=name, content_type=content_type, content=content)


HINT_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z \-]{0,40}?)\s*:\s*(.*?)\s*$")
#: Hint names the intake understands, with the spellings people use, → one canonical key.
HINT_NAMES: dict[str, str] = {
    "type": "type",
    "incident type": "type",
    "class": "class",
    "rsit class": "class",
    "became aware": "became_aware",
    "aware": "became_aware",
    "aware since": "became_aware",
    "started": "started",
    "start": "started",
    "tlp": "tlp",
    "pap": "pap",
    "severity": "severity",
    "services affected": "services",
    "services": "services",
    "users affected": "users",
    "cross-border": "cross_border",
    "cross border": "cross_border",
    "observables": "observables",
    "observable": "observables",
    "ioc": "observables",
    "iocs": "observables",
}


def hints_of(body: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """The ``Name: value`` hints of a body, and its observables: values of ``Observable:``
    lines and the lines of an ``Observables:`` block (one per line, up to a blank line)."""
    hints: dict[str, str] = {}
    observables: list[str] = []
    in_block = False
    for line in body.splitlines():
        if in_block:
            value = line.strip().lstrip("-*•").strip()
            if not value:
                in_block = False
                continue
            match = HINT_LINE.match(line)
            if match and match.group(1).strip().lower() in HINT_NAMES:
                in_block = False
            else:
                observables.append(value)
                continue
        match = HINT_LINE.match(line)
        if not match:
            continue
        key = HINT_NAMES.get(match.group(1).strip().lower())
        value = match.group(2)
        if key == "observables":
            if value:
                observables.extend(v.strip() for v in re.split(r"[,\s]+", value) if v.strip())
            else:
                in_block = True
        elif key is not None and key not in hints and value:
            hints[key] = value
    return hints, tuple(dict.fromkeys(observables))


def read_mail(raw: bytes, *, envelope_from: str = "") -> ReportMail:
    """Parse ``raw`` into a :class:`ReportMail`, or raise :class:`MailProblem`."""
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except (ValueError, IndexError, TypeError) as exc:
        raise MailProblem(
            QuarantineReason.BROKEN_MIME, f"the message cannot be parsed: {exc}"
        ) from exc
    assert isinstance(parsed, EmailMessage)
    message = parsed
    broken = [d for d in _defects(message) if d in STRUCTURAL_DEFECTS]
    if broken:
        raise MailProblem(
            QuarantineReason.BROKEN_MIME, "broken MIME structure: " + ", ".join(sorted(set(broken)))
        )
    try:
        sender = _address(str(message.get("From", ""))) or envelope_from.strip().lower()
        subject = " ".join(str(message.get("Subject", "")).split())
        message_id = str(message.get("Message-ID", "")).strip()
        date = str(message.get("Date", "")).strip()
    except (ValueError, IndexError, TypeError) as exc:
        raise MailProblem(QuarantineReason.BROKEN_MIME, f"a header cannot be read: {exc}") from exc
    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []
    for position, part in enumerate(_leaves(message), start=1):
        disposition = part.get_content_disposition()
        kind = part.get_content_type()
        if disposition != "attachment" and kind == "text/plain" and part.get_filename() is None:
            plain.append(_text_of(part))
        elif disposition != "attachment" and kind == "text/html" and part.get_filename() is None:
            html.append(html_text(_text_of(part)))
        else:
            attachments.append(_attachment(part, position))
    body = "\n".join(plain).strip() or "\n".join(html).strip()
    if not body:
        raise MailProblem(QuarantineReason.NO_BODY, "the mail has no text saying what happened")
    hints, observables = hints_of(body)
    return ReportMail(
        sender=sender,
        subject=subject,
        message_id=message_id,
        date=date,
        body=body,
        attachments=tuple(attachments),
        hints=hints,
        observables=observables,
    )
