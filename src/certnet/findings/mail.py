"""Writing a findings notification: subject, text and HTML from Jinja2 templates per report
type and language (a generic one where a type has none), and the events as a CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from certnet.findings.models import Language

TEMPLATES = Path(__file__).resolve().parent / "templates" / "mail"
#: Findings listed in the body; the CSV has them all.
SHOWN = 50
#: The event columns every CSV starts with; the report's own fields follow, sorted.
CSV_COLUMNS = (
    "finding_id",
    "time_source",
    "source_ip",
    "source_port",
    "source_fqdn",
    "source_asn",
    "protocol_transport",
    "protocol_application",
    "report_type",
    "classification_taxonomy",
    "classification_type",
    "classification_identifier",
    "severity",
)

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class Listed(Protocol):
    """What a notification lists of each finding (a Finding, or a row of its columns)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int | None: ...
    @property
    def issue(self) -> str: ...
    @property
    def last_seen(self) -> datetime: ...


@dataclass(frozen=True)
class Rendered:
    """One notification in one language."""

    subject: str
    text: str
    html: str


def type_module(language: Language, report_type: str) -> str:
    """The template of a report type in a language, or the language's generic one."""
    specific = f"{language.value}/types/{report_type}.j2"
    if (TEMPLATES / specific).is_file():
        return specific
    return f"{language.value}/types/generic.j2"


def address(host: str, port: int | None) -> str:
    """``host:port`` (``[v6]:port``), or the host alone."""
    if port is None or not host:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render(
    *,
    language: Language,
    report_type: str,
    organisation: str,
    cert: str,
    ticket: str,
    findings: Sequence[Listed],
    csv_name: str | None,
    portal_url: str | None,
) -> Rendered:
    """Subject, text and HTML of a notification listing ``findings``."""
    shown = [
        {
            "address": address(f.host, f.port),
            "issue": f.issue,
            "last_seen": f.last_seen.strftime("%Y-%m-%d %H:%M"),
        }
        for f in findings[:SHOWN]
    ]
    context: dict[str, Any] = {
        "type_module": type_module(language, report_type),
        "report_type": report_type,
        "organisation": organisation,
        "cert": cert,
        "ticket": ticket,
        "count": len(findings),
        "shown": shown,
        "csv_attached": csv_name is not None,
        "csv_name": csv_name or "",
        "portal_url": portal_url or "",
    }
    lang = language.value
    subject = " ".join(_ENV.get_template(f"{lang}/subject.j2").render(context).split())
    context["subject"] = subject
    text = _ENV.get_template(f"{lang}/message.txt.j2").render(context)
    html = _ENV.get_template(f"{lang}/message.html.j2").render(context)
    return Rendered(subject=subject, text=text.strip() + "\n", html=html)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return str(value)
    return str(value)


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in data.items() if k != "extra"}
    extra = data.get("extra")
    if isinstance(extra, dict):
        flat.update({f"extra.{k}": v for k, v in extra.items()})
    return flat


def events_csv(pairs: Iterable[tuple[int, Any]]) -> bytes:
    """The events (each with its finding's id; an :class:`Event` or a row of its
    columns) as UTF-8 CSV with a byte-order mark, so that
    spreadsheet programs read Urdu and other non-Latin text correctly."""
    rows = list(pairs)
    extra_names = sorted({name for _, e in rows for name in _flat(e.data or {})})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *extra_names])
    for finding_id, event in rows:
        flat = _flat(event.data or {})
        writer.writerow(
            [
                str(finding_id),
                *(_cell(getattr(event, name)) for name in CSV_COLUMNS[1:]),
                *(_cell(flat.get(name)) for name in extra_names),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
