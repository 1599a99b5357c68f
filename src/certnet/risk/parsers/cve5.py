"""CVE JSON 5 records (CVE Record Format 5.x): validated against the official schema, then
read for what certnet needs — description, CVSS, CISA's SSVC and KEV enrichment, and the
affected products with their version ranges (CNA and ADP containers both)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from certnet.risk import ssvc
from certnet.risk.models import ProductStatus
from certnet.risk.parsers import ParsedStatement, ParsedVulnerability, Rejection
from certnet.risk.parsers.schemas import cve_validator, first_error
from certnet.risk.products import (
    ProductIdError,
    collection_purl_key,
    cve_ranges,
    dedupe,
    name_key,
    parse_cpe,
)

#: CVSS metric keys in order of preference.
_CVSS_KEYS = ("cvssV4_0", "cvssV3_1", "cvssV3_0")


def is_cve_record(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("dataType") == "CVE_RECORD"


def parse_time(value: Any) -> datetime | None:
    """A CVE timestamp (with or without ``Z``) as UTC."""
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_records(records: list[Any]) -> Iterator[ParsedVulnerability | Rejection]:
    """Each record parsed, or rejected naming the record and the field."""
    for index, record in enumerate(records):
        label = _label(record, index)
        problem = first_error(cve_validator(), record)
        if problem is not None:
            yield Rejection(label, problem[0], problem[1])
            continue
        try:
            yield parse_record(record)
        except _FieldProblem as error:
            yield Rejection(label, error.field, error.reason)


def _label(record: Any, index: int) -> str:
    if isinstance(record, Mapping):
        meta = record.get("cveMetadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("cveId"), str):
            return str(meta["cveId"])
    return f"record {index + 1}"


class _FieldProblem(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_record(record: Mapping[str, Any]) -> ParsedVulnerability:
    """One schema-valid record as certnet's fields and product statements."""
    meta = record["cveMetadata"]
    containers = record["containers"]
    cna = containers.get("cna", {})
    adps = containers.get("adp", []) or []
    parsed = ParsedVulnerability(
        identifier=meta["cveId"],
        record_updated_at=parse_time(meta.get("dateUpdated")),
    )
    values = parsed.values
    values["state"] = meta.get("state", "PUBLISHED")
    values["published_at"] = parse_time(meta.get("datePublished"))
    values["title"] = (cna.get("title") or None) and str(cna["title"])[:500]
    values["description"] = _english(cna.get("descriptions") or [])
    if values["state"] == "REJECTED":
        values["description"] = _english(cna.get("rejectedReasons") or [])
        parsed.statements = []
        return parsed
    _metrics(
        parsed,
        [("containers.cna", cna)] + [(f"containers.adp.{i}", adp) for i, adp in enumerate(adps)],
    )
    statements: list[ParsedStatement] = []
    for where, container in [("containers.cna", cna)] + [
        (f"containers.adp.{i}", adp) for i, adp in enumerate(adps)
    ]:
        for j, entry in enumerate(container.get("affected") or []):
            statements.extend(_statements(entry, f"{where}.affected.{j}"))
    parsed.statements = statements
    return parsed


def _english(items: list[Mapping[str, Any]]) -> str | None:
    for item in items:
        if str(item.get("lang", "")).lower().startswith("en"):
            return str(item.get("value", ""))
    return str(items[0].get("value", "")) if items else None


def _metrics(parsed: ParsedVulnerability, containers: list[tuple[str, Mapping[str, Any]]]) -> None:
    values = parsed.values
    best: tuple[int, str, str] | None = None
    for where, container in containers:
        for i, metric in enumerate(container.get("metrics") or []):
            for rank, key in enumerate(_CVSS_KEYS):
                if key in metric and metric[key].get("vectorString"):
                    candidate = (
                        rank,
                        str(metric[key]["vectorString"]),
                        f"{where}.metrics.{i}.{key}",
                    )
                    if best is None or candidate[0] < best[0]:
                        best = candidate
            other = metric.get("other")
            if isinstance(other, Mapping):
                _enrichment(values, other)
    if best is not None:
        try:
            score = ssvc.score_cvss(best[1])
        except ValueError as error:
            raise _FieldProblem(f"{best[2]}.vectorString", str(error)) from None
        values.update(
            cvss_version=score.version,
            cvss_vector=score.vector,
            cvss_score=score.score,
            cvss_severity=score.severity,
        )
        values.setdefault("automatable", score.automatable)
        values.setdefault("technical_impact", score.technical_impact)


def _enrichment(values: dict[str, Any], other: Mapping[str, Any]) -> None:
    """CISA's ADP enrichment: an SSVC decision's inputs and the KEV listing."""
    kind = str(other.get("type", "")).lower()
    content = other.get("content")
    if not isinstance(content, Mapping):
        return
    if kind == "ssvc":
        for option in content.get("options") or []:
            if not isinstance(option, Mapping):
                continue
            for name, raw in option.items():
                value = str(raw).strip().lower()
                point = str(name).strip().lower()
                if point == "exploitation":
                    values["exploited"] = value == "active"
                    values["poc"] = value in ("poc", "public poc")
                elif point == "automatable" and value in ("yes", "no"):
                    values["automatable"] = value
                elif point == "technical impact" and value in ("partial", "total"):
                    values["technical_impact"] = value
    elif kind == "kev":
        added = content.get("dateAdded")
        values["kev"] = True
        if isinstance(added, str) and added:
            values["kev_date_added"] = datetime.fromisoformat(added[:10]).date()


def _statements(entry: Mapping[str, Any], where: str) -> list[ParsedStatement]:
    vendor = str(entry.get("vendor") or "").strip()
    product = str(entry.get("product") or "").strip()
    keys: list[str] = []
    cpe_versions: list[dict[str, Any]] = []
    for k, text in enumerate(entry.get("cpes") or []):
        try:
            cpe = parse_cpe(str(text))
        except ProductIdError as error:
            raise _FieldProblem(f"{where}.cpes.{k}", str(error)) from None
        keys.append(cpe.key)
        if cpe.version:
            cpe_versions.append({"exact": cpe.version})
    if entry.get("collectionURL") and entry.get("packageName"):
        purl = collection_purl_key(str(entry["collectionURL"]), str(entry["packageName"]))
        if purl:
            keys.append(purl)
    if vendor and product and "n/a" not in (vendor.lower(), product.lower()):
        keys.append(name_key(vendor, product))
    if not keys:
        return []
    affected, unaffected, default_affected = cve_ranges(entry)
    if not affected and not unaffected and not default_affected and cpe_versions:
        affected = cpe_versions
    out: list[ParsedStatement] = []
    for key in dict.fromkeys(keys):
        if affected or default_affected:
            ranges = [] if default_affected or {} in affected else dedupe(affected)
            out.append(
                ParsedStatement(
                    key, ProductStatus.AFFECTED, ranges, vendor or None, product or None
                )
            )
        explicit = [r for r in unaffected if r]
        if explicit:
            out.append(
                ParsedStatement(
                    key, ProductStatus.UNAFFECTED, dedupe(explicit), vendor or None, product or None
                )
            )
    return out
