"""Observables: told apart, validated and normalised, so that the same indicator reported twice
in two spellings correlates, and hashed for the correlation index."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from certnet.incidents.models import ObservableKind

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_ASN = re.compile(r"^AS(\d{1,10})$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_HASH_KINDS = {32: ObservableKind.MD5, 40: ObservableKind.SHA1, 64: ObservableKind.SHA256}


@dataclass(frozen=True)
class Normalised:
    """An observable in canonical form, with its correlation key."""

    kind: ObservableKind
    value: str

    @property
    def value_hash(self) -> int:
        return value_hash(self.kind, self.value)


def value_hash(kind: ObservableKind, value: str) -> int:
    """The first 8 bytes of SHA-256 over ``kind:value``, as a signed 64-bit integer (fits a
    BIGINT on every engine; the stored value is compared too, so a collision never links)."""
    digest = hashlib.sha256(f"{kind.value}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _domain(text: str) -> str:
    name = text.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{text!r} is not a valid domain name") from exc
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} is not a valid domain name")
    if labels[-1].isdigit():
        raise ValueError(f"{text!r} is not a valid domain name")
    return name


def _url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme.lower() not in ("http", "https", "ftp", "hxxp", "hxxps") or not parts.hostname:
        raise ValueError(f"{text!r} is not a valid URL (http, https or ftp with a host)")
    scheme = parts.scheme.lower().replace("hxxp", "http")
    host = parts.hostname
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = _domain(host)
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port is not None and (scheme, parts.port) not in (("http", 80), ("https", 443)):
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _email(text: str) -> str:
    local, at, domain = text.strip().rpartition("@")
    if not at or not _EMAIL_LOCAL.match(local):
        raise ValueError(f"{text!r} is not a valid e-mail address")
    return f"{local}@{_domain(domain)}"


def _hash(text: str, kind: ObservableKind) -> str:
    value = text.strip().lower()
    if not _HEX.match(value) or _HASH_KINDS.get(len(value)) is not kind:
        raise ValueError(f"{text!r} is not a valid {kind.value} hash")
    return value


def guess_kind(text: str) -> ObservableKind:
    """Tell an observable's kind from its value; ValueError when nothing fits."""
    value = text.strip()
    if _CVE.match(value):
        return ObservableKind.CVE
    if _ASN.match(value):
        return ObservableKind.ASN
    if "://" in value:
        return ObservableKind.URL
    if "@" in value:
        return ObservableKind.EMAIL
    if "/" in value:
        return ObservableKind.CIDR
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return ObservableKind.IPV4 if address.version == 4 else ObservableKind.IPV6
    if _HEX.match(value) and len(value) in _HASH_KINDS:
        return _HASH_KINDS[len(value)]
    if "." in value:
        return ObservableKind.DOMAIN
    raise ValueError(f"cannot tell what kind of observable {text!r} is; name its kind")


def normalise(text: str, kind: ObservableKind | None = None) -> Normalised:
    """Validate and canonicalise an observable; ValueError says what is wrong."""
    value = text.strip()
    if not value:
        raise ValueError("empty observable")
    kind = kind or guess_kind(value)
    if kind in (ObservableKind.IPV4, ObservableKind.IPV6):
        try:
            address = ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid IP address") from exc
        if (address.version == 4) != (kind is ObservableKind.IPV4):
            raise ValueError(f"{text!r} is not an {kind.value} address")
        return Normalised(kind, str(address))
    if kind is ObservableKind.CIDR:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid CIDR prefix") from exc
        return Normalised(kind, str(network))
    if kind is ObservableKind.DOMAIN:
        return Normalised(kind, _domain(value))
    if kind is ObservableKind.URL:
        return Normalised(kind, _url(value))
    if kind is ObservableKind.EMAIL:
        return Normalised(kind, _email(value))
    if kind in (ObservableKind.MD5, ObservableKind.SHA1, ObservableKind.SHA256):
        return Normalised(kind, _hash(value, kind))
    if kind is ObservableKind.CVE:
        if not _CVE.match(value):
            raise ValueError(f"{text!r} is not a CVE id (CVE-YYYY-NNNN)")
        return Normalised(kind, value.upper())
    match = _ASN.match(value) or re.match(r"^(\d{1,10})$", value)
    if not match or int(match.group(1)) > 4_294_967_295:
        raise ValueError(f"{text!r} is not an AS number")
    return Normalised(kind, f"AS{int(match.group(1))}")
