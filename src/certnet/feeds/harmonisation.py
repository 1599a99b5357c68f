"""The harmonised event: one registry of the fields every feed is mapped onto, each with a
type and a description.

Field names follow IntelMQ's harmonisation (``source.ip``, ``classification.type`` …), the
names national CERTs already exchange. Each type has a normaliser, a function from the text of
a report (or an already converted value) to the canonical value, raising ``ValueError`` with a
reason a duty officer can read. Parsers apply them a whole column at a time
(:func:`normaliser` memoises the types whose values repeat across rows, such as timestamps,
AS numbers and country codes).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

from certnet.constituency.resources import canonical_domain
from certnet.feeds.taxonomy import rsit

#: Longest accepted text value. Longer values are refused (the row is quarantined with the
#: field named), never truncated: a cut value would silently change what the event says.
MAX_TEXT = 4096
#: Longest accepted URL (browsers and servers rarely go past 8 KiB; feeds carry shorter ones).
MAX_URL = 8192
MAX_ASN = 4_294_967_295

Normaliser = Callable[[Any], Any]

_IPV4 = re.compile(
    r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"
)
# DNS names as they occur in reverse DNS and HTTP Host headers: underscores happen there.
_DNS_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)
_HEX = re.compile(r"^[0-9a-f]+$")
_ASN_TEXT = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})
SEVERITIES = ("info", "low", "medium", "high", "critical")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


class FieldType:
    """A harmonised type: its name, what it holds, and its normaliser."""

    name = "FieldType"
    description = ""
    #: Whether values repeat enough across rows that memoising the normaliser pays.
    repeats = False

    def normalise(self, value: Any) -> Any:
        """The canonical value, or ``ValueError`` saying why ``value`` is not one."""
        raise NotImplementedError


class String(FieldType):
    name = "String"
    description = f"Text, at most {MAX_TEXT} characters (longer is refused, not truncated)."

    def __init__(self, max_length: int = MAX_TEXT) -> None:
        self.max_length = max_length

    def normalise(self, value: Any) -> str:
        text = value if isinstance(value, str) else str(value)
        if len(text) > self.max_length:
            raise ValueError(f"longer than {self.max_length} characters ({len(text)})")
        return text


class LowercaseString(String):
    name = "LowercaseString"
    description = "Text compared case-insensitively (protocol names), stored lower-case."
    repeats = True

    def normalise(self, value: Any) -> str:
        return super().normalise(value).strip().lower()


class IPAddress(FieldType):
    name = "IPAddress"
    description = "An IPv4 or IPv6 address in canonical text form (RFC 5952 for IPv6)."

    def normalise(self, value: Any) -> str:
        text = _text(value).strip()
        # Most addresses in feeds are IPv4 already in canonical form: a regex says so faster
        # than building an ip_address object.
        if _IPV4.match(text):
            return text
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise ValueError(f"{text[:80]!r} is not an IP address") from None


class IPNetwork(FieldType):
    name = "IPNetwork"
    description = "An IPv4 or IPv6 network in CIDR notation (host bits cleared)."

    def normalise(self, value: Any) -> str:
        text = _text(value).strip()
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text[:80]!r} is not an IP network") from None


class Integer(FieldType):
    name = "Integer"
    description = "A whole number."
    repeats = True

    def normalise(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a whole number")
        if isinstance(value, int):
            return value
        text = _text(value).strip()
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text[:80]!r} is not a whole number") from None


class Port(Integer):
    name = "Port"
    description = "A TCP/UDP port, 0 to 65535."

    def normalise(self, value: Any) -> int:
        number = super().normalise(value)
        if not 0 <= number <= 65535:
            raise ValueError(f"port {number} is outside 0 to 65535")
        return number


class ASN(FieldType):
    name = "ASN"
    description = f"An autonomous system number, 1 to {MAX_ASN} (``AS64500`` or ``64500``)."
    repeats = True

    def normalise(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            match = _ASN_TEXT.match(_text(value).strip())
            if not match:
                raise ValueError(f"{str(value)[:80]!r} is not an AS number")
            number = int(match.group(1))
        if not 0 < number <= MAX_ASN:
            raise ValueError(f"AS number {number} is outside 1 to {MAX_ASN}")
        return number


class Float(FieldType):
    name = "Float"
    description = "A finite decimal number."

    def normalise(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        if isinstance(value, int | float):
            number = float(value)
        else:
            text = _text(value).strip()
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{text[:80]!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{number!r} is not a finite number")
        return number


class Boolean(FieldType):
    name = "Boolean"
    description = "true or false (also accepts yes/no, y/n, 1/0, on/off)."
    repeats = True

    def normalise(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{text[:80]!r} is not true or false")


class DateTime(FieldType):
    name = "DateTime"
    description = (
        "A point in time, UTC-aware. ISO 8601 with or without an offset; a time without an "
        "offset (Shadowserver's ``2024-01-02 03:04:05``) is UTC."
    )
    repeats = True

    def normalise(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            text = _text(value).strip()
            if text.endswith(" UTC"):
                text = text[:-4]
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text[:80]!r} is not an ISO 8601 date and time") from None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class FQDN(FieldType):
    name = "FQDN"
    description = "A DNS name, lower-case, internationalised names in IDNA (punycode) form."
    repeats = True

    def normalise(self, value: Any) -> str:
        text = _text(value)
        name = text.strip().rstrip(".").lower()
        # Names seen in traffic (reverse DNS, Host headers) may be single-label or carry
        # underscores, unlike the names an organisation claims; ASCII ones need no IDNA step.
        if name.isascii() and _DNS_NAME.match(name):
            return name
        try:
            return canonical_domain(text)
        except ValueError:
            raise ValueError(f"{text[:80]!r} is not a DNS name") from None


class URL(FieldType):
    name = "URL"
    description = f"An absolute URL with a scheme and a host, at most {MAX_URL} characters."

    def normalise(self, value: Any) -> str:
        text = _text(value).strip()
        if len(text) > MAX_URL:
            raise ValueError(f"URL longer than {MAX_URL} characters ({len(text)})")
        try:
            parts = urlsplit(text)
        except ValueError as exc:
            raise ValueError(f"{text[:80]!r} is not a URL: {exc}") from None
        if not parts.scheme or not parts.netloc or any(c.isspace() for c in text):
            raise ValueError(f"{text[:80]!r} is not an absolute URL")
        # Scheme and host are case-insensitive; the path is not.
        return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


class Hash(FieldType):
    name = "Hash"
    description = "A digest in lower-case hex of the algorithm's length."

    def __init__(self, algorithm: str, hex_length: int) -> None:
        self.algorithm = algorithm
        self.hex_length = hex_length
        self.name = f"Hash({algorithm})"

    def normalise(self, value: Any) -> str:
        text = _text(value).strip().lower()
        if len(text) != self.hex_length or not _HEX.match(text):
            raise ValueError(
                f"{text[:80]!r} is not a {self.algorithm} digest ({self.hex_length} hex digits)"
            )
        return text


class CountryCode(FieldType):
    name = "CountryCode"
    description = "An ISO 3166-1 alpha-2 country code, upper-case (checked for shape)."
    repeats = True

    def normalise(self, value: Any) -> str:
        text = _text(value).strip().upper()
        if not _COUNTRY.match(text):
            raise ValueError(f"{text[:80]!r} is not a two-letter country code")
        return text


class Severity(FieldType):
    name = "Severity"
    description = "One of " + ", ".join(SEVERITIES) + " (Shadowserver's levels)."
    repeats = True

    def normalise(self, value: Any) -> str:
        text = _text(value).strip().lower()
        if text not in SEVERITIES:
            raise ValueError(f"{text[:80]!r} is not a severity ({', '.join(SEVERITIES)})")
        return text


class ClassificationTaxonomy(FieldType):
    name = "ClassificationTaxonomy"
    description = "An RSIT class (see certnet.feeds.taxonomy)."
    repeats = True

    def normalise(self, value: Any) -> str:
        text = _text(value).strip().lower()
        if not rsit().is_class(text):
            raise ValueError(f"{text[:80]!r} is not an RSIT class")
        return text


class ClassificationType(FieldType):
    name = "ClassificationType"
    description = "An RSIT type (see certnet.feeds.taxonomy)."
    repeats = True

    def normalise(self, value: Any) -> str:
        text = _text(value).strip().lower()
        if not rsit().is_type(text):
            raise ValueError(f"{text[:80]!r} is not an RSIT type")
        return text


class JSONDict(FieldType):
    name = "JSONDict"
    description = "Named values the registry does not know, kept as they came."

    def normalise(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValueError(f"{type(value).__name__} is not a mapping")
        return value


@dataclass(frozen=True)
class HarmonisedField:
    """One field of the harmonised event."""

    name: str
    type: FieldType
    description: str


_STRING, _LOWER, _IP, _NET = String(), LowercaseString(), IPAddress(), IPNetwork()
_PORT, _ASN, _FQDN, _URL, _CC = Port(), ASN(), FQDN(), URL(), CountryCode()


def _endpoint(side: str, who: str) -> list[HarmonisedField]:
    return [
        HarmonisedField(f"{side}.ip", _IP, f"IP address of the {who}."),
        HarmonisedField(f"{side}.port", _PORT, f"Port of the {who}."),
        HarmonisedField(f"{side}.asn", _ASN, f"Autonomous system the {who}'s address is in."),
        HarmonisedField(f"{side}.network", _NET, f"Network (CIDR) the {who} belongs to."),
        HarmonisedField(f"{side}.fqdn", _FQDN, f"DNS name of the {who}."),
        HarmonisedField(
            f"{side}.reverse_dns", _FQDN, f"Reverse DNS (PTR) name of the {who}'s address."
        ),
        HarmonisedField(f"{side}.url", _URL, f"URL at the {who}."),
        HarmonisedField(f"{side}.account", _STRING, f"Account name on the {who}."),
        HarmonisedField(
            f"{side}.local_hostname", _STRING, f"Host name the {who} gives itself (not from DNS)."
        ),
        HarmonisedField(f"{side}.local_ip", _IP, f"Internal (behind NAT) address of the {who}."),
        HarmonisedField(f"{side}.geolocation.cc", _CC, f"Country of the {who}."),
        HarmonisedField(
            f"{side}.geolocation.region", _STRING, f"Region (state, province) of the {who}."
        ),
        HarmonisedField(f"{side}.geolocation.city", _STRING, f"City of the {who}."),
    ]


_FIELDS: list[HarmonisedField] = [
    HarmonisedField("time.source", DateTime(), "When the source saw the event (UTC)."),
    HarmonisedField("time.observation", DateTime(), "When certnet received the event (UTC)."),
    *_endpoint("source", "host the event is about (the scanned, infected or listed host)"),
    *_endpoint("destination", "other end (the sinkhole, honeypot or target)"),
    HarmonisedField("protocol.transport", _LOWER, "Transport protocol: tcp, udp, icmp …"),
    HarmonisedField("protocol.application", _LOWER, "Application protocol: http, dns, rdp …"),
    HarmonisedField("classification.taxonomy", ClassificationTaxonomy(), "RSIT class."),
    HarmonisedField("classification.type", ClassificationType(), "RSIT type."),
    HarmonisedField(
        "classification.identifier",
        _LOWER,
        "The feed's own name for the issue (accessible-http, open-dns …); with the type, it "
        "tells findings apart.",
    ),
    HarmonisedField("malware.name", _LOWER, "Malware family, lower-case."),
    HarmonisedField("malware.hash.md5", Hash("MD5", 32), "MD5 of the malware sample."),
    HarmonisedField("malware.hash.sha1", Hash("SHA-1", 40), "SHA-1 of the malware sample."),
    HarmonisedField("malware.hash.sha256", Hash("SHA-256", 64), "SHA-256 of the malware sample."),
    HarmonisedField("product.vendor", _STRING, "Vendor of the product seen on the host."),
    HarmonisedField("product.name", _STRING, "Product seen on the host."),
    HarmonisedField("product.version", _STRING, "Version of the product."),
    HarmonisedField(
        "product.vulnerabilities",
        _STRING,
        "Vulnerabilities (CVE ids, comma-separated) of the product.",
    ),
    HarmonisedField("severity", Severity(), "Severity the source gives the event."),
    HarmonisedField("status", _STRING, "State of the reported thing (e.g. online, offline)."),
    HarmonisedField("event_description.text", _STRING, "Free-text description from the source."),
    HarmonisedField("event_description.url", _URL, "URL describing the event."),
    HarmonisedField("feed.name", _STRING, "Name of the feed (Shadowserver's report name)."),
    HarmonisedField("feed.provider", _STRING, "Who provides the feed (Shadowserver …)."),
    HarmonisedField("feed.url", _URL, "Where the feed is described or fetched."),
    HarmonisedField("feed.code", _LOWER, "The report type code (scan_http …)."),
    HarmonisedField("raw", String(max_length=1 << 20), "The original input row, as text."),
    HarmonisedField("extra", JSONDict(), "Source columns the registry has no field for."),
]

#: The registry: every harmonised field by name.
FIELDS: dict[str, HarmonisedField] = {f.name: f for f in _FIELDS}
#: Every type in use, by name.
TYPES: dict[str, FieldType] = {f.type.name: f.type for f in _FIELDS}


def is_field(name: str) -> bool:
    """Whether ``name`` is a harmonised field (``extra.*`` names are not: they go to extra)."""
    return name in FIELDS


@cache
def normaliser(name: str) -> Normaliser:
    """The normaliser of field ``name``, memoised when its values repeat across rows.

    Raises ``KeyError`` for a name that is not in the registry.
    """
    field_type = FIELDS[name].type
    if field_type.repeats:
        return lru_cache(maxsize=65_536)(field_type.normalise)
    return field_type.normalise


def field_table() -> str:
    """The registry as a Markdown table (docs/feeds-harmonisation.md carries it; a test
    keeps the two the same)."""
    lines = ["| field | type | description |", "|---|---|---|"]
    lines += [f"| `{f.name}` | {f.type.name} | {f.description} |" for f in _FIELDS]
    return "\n".join(lines) + "\n"
