"""The value conversions Shadowserver's report schema names (``intelmq.json``'s third item of
a field mapping), written for certnet from what each name is documented to do.

A conversion takes the non-empty text of one cell and returns the value (``None`` when the
cell means "no value"), or raises ``ValueError`` with a reason. A *row conversion* (a mapping
whose fourth item is ``true``) also sees the other cells of its row, by column name. The
harmonised field's own normaliser runs after the conversion, so conversions only do what is
specific to Shadowserver's way of writing a value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from certnet.feeds.harmonisation import FQDN, Boolean, DateTime, IPAddress, IPNetwork

Conversion = Callable[[str], Any]
RowConversion = Callable[[str, Mapping[str, str]], Any]

_CVE = re.compile(r"cve-\d{4}-\d{4,}", re.IGNORECASE)
_IP, _NETWORK, _FQDN, _BOOL, _TIME = IPAddress(), IPNetwork(), FQDN(), Boolean(), DateTime()


def validate_to_none(value: str) -> str | None:
    """Text as it is; blank means no value."""
    return value if value.strip() else None


def convert_int(value: str) -> int | None:
    """A whole number."""
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text[:80]!r} is not a whole number") from None


def convert_float(value: str) -> float | None:
    """A decimal number."""
    text = value.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text[:80]!r} is not a number") from None


def invalidate_zero(value: str) -> int | None:
    """A whole number where 0 means unknown (Shadowserver writes asn 0 for "no AS")."""
    number = convert_int(value)
    return None if number == 0 else number


def validate_ip(value: str) -> str:
    """An IP address. Unlike IntelMQ, which drops a bad address silently, certnet refuses
    the row: an event about an address that is not one cannot be routed to anybody."""
    return _IP.normalise(value)


def validate_network(value: str) -> str:
    """A network in CIDR notation (a bare address is its /32 or /128)."""
    return _NETWORK.normalise(value)


def validate_fqdn(value: str) -> str | None:
    """A DNS name."""
    return _FQDN.normalise(value) if value.strip() else None


def add_UTC_to_timestamp(value: str) -> datetime:  # noqa: N802 — the schema's name
    """Shadowserver's timestamps (``2024-01-02 03:04:05``) carry no zone; they are UTC."""
    return _TIME.normalise(value)


def convert_date_utc(value: str) -> datetime:
    """A date and time without a zone, in UTC (honeypot start and end times)."""
    return _TIME.normalise(value)


def convert_date(value: str) -> datetime:
    """A date as a server wrote it: an HTTP date (``Mon, 05 Feb 2024 12:00:00 GMT``, RFC
    9110) or ISO 8601; always returned in UTC."""
    text = value.strip()
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return _TIME.normalise(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def convert_bool(value: str) -> bool | None:
    """true/false (Shadowserver writes ``Y``/``N`` and ``true``/``false``)."""
    return _BOOL.normalise(value) if value.strip() else None


def set_tor_node(value: str) -> bool | None:
    """A non-empty cell marks the host as a Tor node."""
    return True if value.strip() else None


def extract_cve_from_tag(value: str) -> str | None:
    """The CVE ids in a tag list (``http;cve-2021-41773``), upper-case, comma-separated, in
    order of appearance, each once."""
    found = dict.fromkeys(m.upper() for m in _CVE.findall(value))
    return ",".join(found) if found else None


def force_base64(value: str) -> str:
    """Base64 text: kept if it already is, encoded (UTF-8) if it is not."""
    text = value.strip()
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return base64.b64encode(value.encode("utf-8")).decode("ascii")
    return text


def _exchange_webshell(tag: str) -> bool:
    return "webshell" in (t.strip().lower() for t in tag.split(";"))


def scan_exchange_taxonomy(value: str) -> str:
    """Vulnerable Exchange report: a web shell found is an intrusion, else a vulnerability."""
    return "intrusions" if _exchange_webshell(value) else "vulnerable"


def scan_exchange_type(value: str) -> str:
    """Vulnerable Exchange report: the RSIT type that goes with the class."""
    return "system-compromise" if _exchange_webshell(value) else "vulnerable-system"


def scan_exchange_identifier(value: str) -> str:
    """Vulnerable Exchange report: the issue identifier that goes with the class."""
    return "exchange-server-webshell" if _exchange_webshell(value) else "vulnerable-exchange-server"


def category_or_detail(value: str, row: Mapping[str, str]) -> str | None:
    """The category column, or the detail column where the category is empty."""
    return value.strip() or row.get("detail", "").strip() or None


def convert_http_host_and_url(value: str, row: Mapping[str, str]) -> str | None:
    """An absolute URL from a report's host and path columns (``http_host`` + ``http_url``,
    or ``hostname`` + ``url``); a cell that is already an absolute URL is kept."""
    path = value.strip()
    if "://" in path:
        return path
    host = (row.get("http_host") or row.get("hostname") or "").strip()
    if not host or not path:
        return None
    port = row.get("dst_port") or row.get("port") or ""
    application = (row.get("application") or "").lower()
    scheme = "https" if port.strip() == "443" or application == "https" else "http"
    if not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{host}{path}"


#: Conversions of one cell, by the schema's name.
CONVERSIONS: dict[str, Conversion] = {
    f.__name__: f
    for f in (
        validate_to_none,
        convert_int,
        convert_float,
        invalidate_zero,
        validate_ip,
        validate_network,
        validate_fqdn,
        add_UTC_to_timestamp,
        convert_date,
        convert_date_utc,
        convert_bool,
        set_tor_node,
        extract_cve_from_tag,
        force_base64,
        scan_exchange_taxonomy,
        scan_exchange_type,
        scan_exchange_identifier,
    )
}
#: Conversions that read other cells of the row (the schema marks them with ``true``).
ROW_CONVERSIONS: dict[str, RowConversion] = {
    f.__name__: f for f in (category_or_detail, convert_http_host_and_url)
}


def known(name: str) -> bool:
    """Whether certnet implements the conversion ``name``."""
    return name in CONVERSIONS or name in ROW_CONVERSIONS
