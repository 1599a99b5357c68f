"""Parsing and canonical forms of what an organisation can claim: prefixes, ASNs, domains."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from certnet.constituency.models import ResourceKind

_ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)
#: Anything written like an AS number is judged as one (AS99999999999 is a bad ASN, not a domain).
_ASN_SHAPED = re.compile(r"^AS\d+$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_ASN = 4_294_967_295


@dataclass(frozen=True)
class ParsedResource:
    """A claim in canonical form; prefixes carry their address range as fixed-width hex."""

    kind: ResourceKind
    value: str
    ip_version: int | None = None
    prefix_length: int | None = None
    first_address: str | None = None
    last_address: str | None = None


def address_hex(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Fixed-width hex of an address: 8 digits for IPv4, 32 for IPv6 (sorts like the number)."""
    width = 8 if address.version == 4 else 32
    return f"{int(address):0{width}x}"


def parse_prefix(text: str) -> ParsedResource:
    """``203.0.113.0/24`` or ``2001:db8::/32``; host bits must be zero.

    A bare address is a /32 (IPv4) or a /128 (IPv6).
    """
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid IP prefix: {exc}") from None
    return ParsedResource(
        kind=ResourceKind.PREFIX,
        value=str(network),
        ip_version=network.version,
        prefix_length=network.prefixlen,
        first_address=address_hex(network.network_address),
        last_address=address_hex(network.broadcast_address),
    )


def parse_asn(text: str) -> ParsedResource:
    """``AS64500`` or ``64500``."""
    match = _ASN.match(text.strip())
    if not match or not 0 < int(match.group(1)) <= MAX_ASN:
        raise ValueError(f"{text!r} is not a valid AS number (AS1 to AS{MAX_ASN})")
    return ParsedResource(kind=ResourceKind.ASN, value=f"AS{int(match.group(1))}")


def canonical_domain(text: str) -> str:
    """Lower-case, IDNA (punycode) form without a trailing dot; raises ValueError if malformed."""
    name = text.strip().rstrip(".").lower()
    if not name or len(name) > 253:
        raise ValueError(f"{text!r} is not a valid domain name")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{text!r} is not a valid domain name") from None
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} is not a valid domain name")
    if labels[-1].isdigit():
        raise ValueError(f"{text!r} is not a valid domain name (numeric top-level label)")
    return name


def parse_domain(text: str) -> ParsedResource:
    return ParsedResource(kind=ResourceKind.DOMAIN, value=canonical_domain(text))


def parse_resource(text: str, kind: ResourceKind | None = None) -> ParsedResource:
    """Parse a claim; with no ``kind``, tell a prefix, an ASN and a domain apart by shape."""
    raw = text.strip()
    if kind is ResourceKind.PREFIX or (kind is None and ("/" in raw or ":" in raw)):
        return parse_prefix(raw)
    if kind is ResourceKind.ASN or (kind is None and (_ASN.match(raw) or _ASN_SHAPED.match(raw))):
        return parse_asn(raw)
    if kind is None:
        try:
            ipaddress.ip_address(raw)
        except ValueError:
            return parse_domain(raw)
        return parse_prefix(raw)
    return parse_domain(raw)


@dataclass(frozen=True)
class Query:
    """What a lookup asks about: one address, one ASN or one domain."""

    kind: ResourceKind
    value: str
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None


def parse_query(text: str) -> Query:
    """``203.0.113.7``, ``2001:db8::1``, ``AS64500`` or ``mail.example.pk``."""
    raw = text.strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        pass
    else:
        return Query(ResourceKind.PREFIX, str(address), address)
    if _ASN.match(raw) or _ASN_SHAPED.match(raw):
        return Query(ResourceKind.ASN, parse_asn(raw).value)
    return Query(ResourceKind.DOMAIN, canonical_domain(raw))


def domain_suffixes(domain: str) -> list[str]:
    """``a.b.example.pk`` → its registrable-or-longer suffixes, most specific first."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
