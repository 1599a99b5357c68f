"""Product identifiers and versions: CPE 2.3 formatted strings (and the CPE 2.2 URIs some CVE
records still carry), package URLs, the normalised product keys matching indexes assets by,
version ordering and version ranges (CVE 5 ``versions``, ``vers`` notation).

Pure functions, no database: the matching engine and every importer share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from packageurl import PackageURL

CPE23_PREFIX = "cpe:2.3:"
CPE_PARTS = frozenset({"a", "o", "h", "*", "-"})
# A CPE 2.3 component: a run of unreserved characters and backslash-quoted punctuation, with
# optional leading/trailing unquoted ``*`` or ``?`` wildcards (NISTIR 7695, formatted string).
_CPE_COMPONENT = re.compile(r"^(\*|-|[*?]*(?:[A-Za-z0-9._\-~]|\\[^A-Za-z0-9])+[*?]*)$")


class ProductIdError(ValueError):
    """A malformed CPE, purl or version range; the message says what is wrong."""


@dataclass(frozen=True)
class Cpe:
    """A parsed CPE name: part, vendor, product, version (unquoted, lower case)."""

    part: str
    vendor: str
    product: str
    version: str | None

    @property
    def key(self) -> str:
        return f"cpe:{self.vendor}:{self.product}"


def _split_cpe(text: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unquote_cpe(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value).lower()


def parse_cpe(text: str) -> Cpe:
    """Parse a CPE 2.3 formatted string (``cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*``).

    Also accepts a CPE 2.2 URI (``cpe:/o:redhat:enterprise_linux:9``), which CVE records
    still use. Raises :class:`ProductIdError` saying which component is wrong.
    """
    text = text.strip()
    if text.startswith("cpe:/"):
        fields = [unquote(f) for f in text[5:].split(":")]
        if len(fields) < 3 or fields[0] not in ("a", "o", "h") or not fields[1] or not fields[2]:
            raise ProductIdError(f"not a CPE 2.2 URI with part, vendor and product: {text!r}")
        version = fields[3] if len(fields) > 3 and fields[3] not in ("", "*", "-") else None
        return Cpe(fields[0], fields[1].lower(), fields[2].lower(), version)
    if not text.startswith(CPE23_PREFIX):
        raise ProductIdError(f"a CPE 2.3 name starts with 'cpe:2.3:': {text!r}")
    components = _split_cpe(text[len(CPE23_PREFIX) :])
    if len(components) != 11:
        raise ProductIdError(
            f"a CPE 2.3 name has 11 components after 'cpe:2.3:', this one {len(components)}"
        )
    part = components[0]
    if part not in CPE_PARTS:
        raise ProductIdError(f"CPE part must be a, o or h, not {part!r}")
    names = (
        "vendor", "product", "version", "update", "edition", "language",
        "sw_edition", "target_sw", "target_hw", "other",
    )  # fmt: skip
    for name, value in zip(names, components[1:], strict=True):
        if not _CPE_COMPONENT.match(value):
            raise ProductIdError(f"CPE {name} component {value!r} is not a valid value")
    vendor, product, version = components[1], components[2], components[3]
    if vendor in ("*", "-") or product in ("*", "-"):
        raise ProductIdError("a CPE naming a product needs a vendor and a product, not wildcards")
    return Cpe(
        part,
        _unquote_cpe(vendor),
        _unquote_cpe(product),
        None if version in ("*", "-") else _unquote_cpe(version),
    )


@dataclass(frozen=True)
class Purl:
    """A parsed package URL reduced to what matching needs."""

    type: str
    namespace: str | None
    name: str
    version: str | None

    @property
    def key(self) -> str:
        return purl_key(self.type, self.namespace, self.name)


def purl_key(type_: str, namespace: str | None, name: str) -> str:
    """``pkg:type/namespace/name`` in lower case, the version left out."""
    path = f"{namespace}/{name}" if namespace else name
    return f"pkg:{type_}/{path}".lower()


def parse_purl(text: str) -> Purl:
    """Parse a package URL (``pkg:maven/org.apache.activemq/activemq-client@5.18.2``) with
    packageurl-python; raises :class:`ProductIdError` with its reason."""
    try:
        parsed = PackageURL.from_string(text.strip())
    except ValueError as error:
        raise ProductIdError(f"not a valid package URL: {error}") from None
    return Purl(parsed.type, parsed.namespace, parsed.name, parsed.version)


def name_key(vendor: str, product: str) -> str:
    """A CPE-style key from free-text vendor and product names (``Palo Alto Networks`` →
    ``palo_alto_networks``), for sources that give names but no CPE."""

    def norm(value: str) -> str:
        return re.sub(r"\s+", "_", value.strip().lower())

    return f"cpe:{norm(vendor)}:{norm(product)}"


#: Package repositories CVE records name in ``collectionURL``, and their purl types.
COLLECTIONS: Mapping[str, str] = {
    "repo.maven.apache.org": "maven",
    "repo1.maven.org": "maven",
    "pypi.org": "pypi",
    "www.npmjs.com": "npm",
    "registry.npmjs.org": "npm",
    "crates.io": "cargo",
    "rubygems.org": "gem",
    "www.nuget.org": "nuget",
    "pkg.go.dev": "golang",
    "packagist.org": "composer",
}


def collection_purl_key(collection_url: str, package_name: str) -> str | None:
    """The purl key of a CVE 5 ``collectionURL`` + ``packageName`` pair, when the collection
    is a package repository certnet knows (Maven's ``group:artifact`` becomes
    ``group/artifact``)."""
    host = re.sub(r"^[a-z]+://", "", collection_url.strip().lower()).split("/", 1)[0]
    purl_type = COLLECTIONS.get(host)
    if purl_type is None or not package_name.strip():
        return None
    if purl_type == "maven" and ":" in package_name:
        group, artifact = package_name.split(":", 1)
        return purl_key("maven", group, artifact)
    if "/" in package_name:
        namespace, name = package_name.rsplit("/", 1)
        return purl_key(purl_type, namespace, name)
    return purl_key(purl_type, None, package_name)


# --- versions ---------------------------------------------------------------------------

_PRE_RELEASE = frozenset({"dev", "pre", "alpha", "a", "beta", "b", "rc", "c", "preview"})
_TOKEN = re.compile(r"\d+|[a-z]+")
VersionKey = tuple[tuple[int, int, str], ...]
_END = (1, 0, "")


@lru_cache(maxsize=65536)
def version_key(version: str) -> VersionKey:
    """An ordering key for a version string, good across the schemes assets and advisories use
    (semver, dotted numbers, ``2.0-beta9``, ``10.2.9-h1``, ``22.7R2.4``, ``9.7p1``, an RPM
    ``epoch:version-release``): numbers compare as numbers, pre-release words sort before the
    plain version, any other word (a hotfix, a patch letter) after it."""
    text = version.strip().lower()
    text = re.sub(r"^\d+:", "", text)  # an RPM epoch of 0 is the common case; drop it
    tokens: list[tuple[int, int, str]] = []
    for token in _TOKEN.findall(text):
        if token.isdigit():
            tokens.append((2, int(token), ""))
        elif token in _PRE_RELEASE:
            tokens.append((0, 0, token))
        else:
            tokens.append((1, 1, token))
    return tuple(tokens)


_WIDTH = 16  # tokens compared; longer versions are cut (none seen in practice)


@lru_cache(maxsize=131072)
def _padded(version: str) -> VersionKey:
    key = version_key(version)[:_WIDTH]
    return key + (_END,) * (_WIDTH - len(key))


def compare_versions(left: str, right: str) -> int:
    """-1, 0 or 1 as ``left`` is older than, the same as or newer than ``right``."""
    a, b = _padded(left), _padded(right)
    return (a > b) - (a < b)


def _at_most_prefix(version: str, prefix: str) -> bool:
    """``version <= prefix.*``: ``5.4.300`` is at most ``5.4.*``, ``5.5`` is not."""
    head = version_key(prefix)
    key = version_key(version)[: len(head)]
    key = key + (_END,) * (len(head) - len(key))
    return key <= head


Range = dict[str, Any]


def in_range(version: str, spec: Mapping[str, Any]) -> bool:
    """Whether ``version`` lies in one range: ``{"exact": v}``, or ``introduced`` (inclusive,
    exclusive with ``introduced_exclusive``) up to ``fixed`` (exclusive) or ``last_affected``
    (inclusive, a trailing ``.*`` meaning the whole series)."""
    key = _padded(version)
    exact = spec.get("exact")
    if exact is not None:
        return key == _padded(str(exact))
    low = spec.get("introduced")
    if low is not None:
        bound = _padded(str(low))
        if key < bound or (key == bound and spec.get("introduced_exclusive")):
            return False
    fixed = spec.get("fixed")
    if fixed is not None and key >= _padded(str(fixed)):
        return False
    last = spec.get("last_affected")
    if last is not None:
        last = str(last)
        if last.endswith("*"):
            return _at_most_prefix(version, last.rstrip("*").rstrip("."))
        if key > _padded(last):
            return False
    return True


def in_any(version: str | None, ranges: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ``version`` lies in any of ``ranges``; no ranges means every version, and an
    unknown version lies in every set of ranges (a cautious match: the asset may be
    affected)."""
    if not ranges or version is None:
        return True
    return any(in_range(version, spec) for spec in ranges)


_VERS_CONSTRAINT = re.compile(r"^(>=|<=|!=|<|>|=)?\s*(.+)$")


def parse_vers(text: str) -> list[Range]:
    """Ranges from a ``vers`` string (``vers:semver/>=2.0.0|<2.17.1``) — the notation CSAF
    2.0 recommends for ``product_version_range`` — or from bare constraints
    (``>=2.0 <2.17.1``, ``<=4.1``). ``*`` is every version (an empty list)."""
    body = text.strip()
    if body.startswith("vers:"):
        scheme_and_rest = body[5:]
        if "/" not in scheme_and_rest:
            raise ProductIdError(f"a vers range reads vers:<scheme>/<constraints>: {text!r}")
        body = scheme_and_rest.split("/", 1)[1]
        pieces = [p.strip() for p in body.split("|")]
    else:
        pieces = [p for p in re.split(r"[|,\s]+", body) if p]
    if not pieces or any(not p for p in pieces):
        raise ProductIdError(f"empty version constraint in {text!r}")
    if pieces == ["*"]:
        return []
    ranges: list[Range] = []
    low: Range | None = None
    for piece in pieces:
        match = _VERS_CONSTRAINT.match(piece)
        if match is None or not version_key(match.group(2)):
            raise ProductIdError(f"not a version constraint: {piece!r}")
        operator, version = match.group(1) or "=", match.group(2).strip()
        if operator in (">=", ">"):
            low = {"introduced": version}
            if operator == ">":
                low["introduced_exclusive"] = True
        elif operator in ("<", "<="):
            spec: Range = dict(low or {})
            spec["fixed" if operator == "<" else "last_affected"] = version
            ranges.append(spec)
            low = None
        elif operator == "=":
            ranges.append({"exact": version})
        # ``!=`` excludes one version from a range: rare in practice and ignored here
    if low is not None:
        ranges.append(low)
    return ranges


def cve_ranges(
    entry: Mapping[str, Any],
) -> tuple[list[Range], list[Range], bool]:
    """The affected and unaffected ranges of one CVE 5 ``affected[]`` entry, and whether its
    ``defaultStatus`` is ``affected``.

    ``changes`` toggles inside a range become separate ranges; ``versionType: patch`` (Citrix)
    joins version and patch level (``14.1`` + ``8.50`` → ``14.1-8.50``); git commit ranges
    cannot be ordered and are left out. A ``lessThan`` that is no version (``*``,
    ``log4j-core*``) leaves the range open.
    """
    affected: list[Range] = []
    unaffected: list[Range] = []
    for item in entry.get("versions") or ():
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("versionType") or "")
        if kind == "git":
            continue
        version = str(item.get("version") or "").strip()
        status = str(item.get("status") or "").lower()
        target = (
            affected if status == "affected" else unaffected if status == "unaffected" else None
        )
        if target is None:
            continue
        less_than = item.get("lessThan")
        at_most = item.get("lessThanOrEqual")
        if (
            version.lower() in ("", "n/a", "all", "*", "0")
            and less_than is None
            and at_most is None
        ):
            target.append({})
            continue
        if less_than is None and at_most is None:
            target.append({"exact": version})
            continue
        if kind == "patch":
            upper = f"{version}-{less_than or at_most}"
            bound: Range = {"introduced": version}
            bound["fixed" if less_than is not None else "last_affected"] = upper
            target.append(bound)
            continue
        spec: Range = {} if version == "0" else {"introduced": version}
        if less_than is not None and _is_bound(str(less_than)):
            spec["fixed"] = str(less_than)
        if at_most is not None and _is_bound(str(at_most)):
            spec["last_affected"] = str(at_most)
        changes = [c for c in item.get("changes") or () if isinstance(c, Mapping) and c.get("at")]
        if not changes:
            target.append(spec)
            continue
        # Walk the toggles in version order, cutting the range into runs of one status.
        changes.sort(key=lambda c: version_key(str(c["at"])))
        start: str | None = spec.get("introduced")
        current = status
        for change in changes:
            at = str(change["at"])
            run: Range = {"introduced": start} if start else {}
            run["fixed"] = at
            (affected if current == "affected" else unaffected).append(run)
            start, current = at, str(change.get("status") or "").lower()
        tail: Range = {"introduced": start} if start else {}
        for bound_name in ("fixed", "last_affected"):
            if bound_name in spec:
                tail[bound_name] = spec[bound_name]
        (affected if current == "affected" else unaffected).append(tail)
    default_affected = str(entry.get("defaultStatus") or "").lower() == "affected"
    return affected, unaffected, default_affected


def _is_bound(value: str) -> bool:
    """Whether a CVE bound is a version (``2.17.1``, ``5.4.*``) rather than a placeholder
    (``*``, ``log4j-core*``)."""
    value = value.strip()
    return bool(re.match(r"^[0-9]", value)) and "*" not in value.rstrip("*")


def dedupe(ranges: Iterable[Mapping[str, Any]]) -> list[Range]:
    """Ranges without repeats, in first-seen order."""
    seen: set[tuple[tuple[str, str], ...]] = set()
    out: list[Range] = []
    for spec in ranges:
        marker = tuple(sorted((k, str(v)) for k, v in spec.items()))
        if marker not in seen:
            seen.add(marker)
            out.append(dict(spec))
    return out
