"""Mandatory tests on the document's version and revision history (6.1.14, 6.1.16-6.1.18,
6.1.20-6.1.23, 6.1.30)."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from certnet.advisories.csaf_checks.registry import (
    Doc,
    Failure,
    check,
    vulns,
)

INTEGER = re.compile(r"^(0|[1-9][0-9]*)$")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def _key(version: str) -> tuple[Any, ...]:
    """A sort key in version precedence (integer, or semantic versioning 2.0.0)."""
    if INTEGER.match(version):
        return (int(version), 0, 0, 1, ())
    match = SEMVER.match(version)
    if not match:
        return (-1, 0, 0, 0, (version,))
    major, minor, patch, pre, _build = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0, parts)


def _without_build(version: str) -> str:
    return version.split("+", 1)[0]


def _without_pre(version: str) -> str:
    return _without_build(version).split("-", 1)[0]


def _is_pre(version: str) -> bool:
    match = SEMVER.match(version)
    return bool(match and match.group(4))


def _is_zero(version: str) -> bool:
    return version == "0" or bool(SEMVER.match(version) and version.startswith("0."))


def _tracking(doc: Doc) -> Doc:
    tracking: Doc = (doc.get("document") or {}).get("tracking") or {}
    return tracking


def _history(doc: Doc) -> list[Doc]:
    history: list[Doc] = _tracking(doc).get("revision_history") or []
    return history


def _moment(text: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _by_date(history: list[Doc]) -> list[Doc]:
    """The revision history sorted by date (as instants, not text), then by number."""
    return sorted(history, key=lambda r: (_moment(r.get("date")), _key(str(r.get("number", "")))))


@check("6.1.14")
def sorted_revision_history(doc: Doc) -> Iterator[Failure]:
    numbers = [_key(str(r.get("number", ""))) for r in _by_date(_history(doc))]
    if numbers != sorted(numbers):
        yield Failure(
            "6.1.14", "/document/tracking/revision_history", "dates and numbers are not in order"
        )


@check("6.1.16")
def latest_document_version(doc: Doc) -> Iterator[Failure]:
    history = _by_date(_history(doc))
    if not history:
        return
    version = str(_tracking(doc).get("version", ""))
    latest = str(history[-1].get("number", ""))
    strip = _without_pre if _tracking(doc).get("status") == "draft" else _without_build
    if strip(version) != strip(latest):
        yield Failure(
            "6.1.16", "/document/tracking/version", f"is {version}, the latest revision is {latest}"
        )


@check("6.1.17")
def document_status_draft(doc: Doc) -> Iterator[Failure]:
    version = str(_tracking(doc).get("version", ""))
    if (_is_zero(version) or _is_pre(version)) and _tracking(doc).get("status") != "draft":
        yield Failure("6.1.17", "/document/tracking/status", f"version {version} must be a draft")


@check("6.1.18")
def released_revision_history(doc: Doc) -> Iterator[Failure]:
    if _tracking(doc).get("status") not in ("final", "interim"):
        return
    for i, item in enumerate(_history(doc)):
        if _is_zero(str(item.get("number", ""))):
            yield Failure(
                "6.1.18",
                f"/document/tracking/revision_history/{i}/number",
                "a released document has no revision 0",
            )


@check("6.1.20")
def non_draft_version(doc: Doc) -> Iterator[Failure]:
    version = str(_tracking(doc).get("version", ""))
    if _tracking(doc).get("status") in ("final", "interim") and _is_pre(version):
        yield Failure("6.1.20", "/document/tracking/version", f"{version} is a pre-release")


@check("6.1.21")
def missing_revision(doc: Doc) -> Iterator[Failure]:
    history = _history(doc)
    if not history:
        return
    numbers = [str(r.get("number", "")) for r in history]
    if all(INTEGER.match(n) for n in numbers):
        majors = sorted(int(n) for n in numbers)
    elif all(SEMVER.match(n) for n in numbers):
        majors = sorted({int(n.split(".", 1)[0]) for n in numbers})
    else:
        return
    if majors[0] not in (0, 1) or any(b - a > 1 for a, b in itertools.pairwise(majors)):
        yield Failure(
            "6.1.21", "/document/tracking/revision_history", f"numbers {majors} have a gap"
        )


@check("6.1.22")
def multiple_revision_definition(doc: Doc) -> Iterator[Failure]:
    counts = Counter(str(r.get("number", "")) for r in _history(doc))
    for number, n in sorted(counts.items()):
        if n > 1:
            yield Failure(
                "6.1.22",
                "/document/tracking/revision_history",
                f"number {number} is used {n} times",
            )


@check("6.1.23")
def multiple_cve(doc: Doc) -> Iterator[Failure]:
    seen: set[str] = set()
    for v, vuln in vulns(doc):
        cve = vuln.get("cve")
        if cve is not None:
            if cve in seen:
                yield Failure("6.1.23", f"/vulnerabilities/{v}/cve", f"{cve} is used twice")
            seen.add(cve)


@check("6.1.30")
def mixed_versioning(doc: Doc) -> Iterator[Failure]:
    versions = [str(_tracking(doc).get("version", ""))]
    versions += [str(r.get("number", "")) for r in _history(doc)]
    kinds = {"integer" if INTEGER.match(v) else "semver" for v in versions if v}
    if len(kinds) > 1:
        yield Failure("6.1.30", "/document/tracking", "mixes integer and semantic versioning")
