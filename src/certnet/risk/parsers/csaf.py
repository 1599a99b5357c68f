"""Vendor CSAF 2.0 advisories (``csaf_security_advisory``, ``csaf_vex``, ``csaf_base``) as
intelligence: the product tree gives each product id a product key and versions, and each
vulnerability's ``product_status`` says which are affected, fixed or known not affected (the
VEX justification, from ``flags`` or an ``impact`` threat, comes with it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certnet.risk import ssvc
from certnet.risk.models import ProductStatus
from certnet.risk.parsers import FileRejected, ParsedStatement, ParsedVulnerability, Rejection
from certnet.risk.parsers.cve5 import parse_time
from certnet.risk.products import ProductIdError, name_key, parse_cpe, parse_purl, parse_vers

#: CSAF ``product_status`` groups and what they mean here (``under_investigation`` and
#: ``recommended`` say nothing about exposure).
STATUS_GROUPS: Mapping[str, ProductStatus] = {
    "known_affected": ProductStatus.AFFECTED,
    "first_affected": ProductStatus.AFFECTED,
    "last_affected": ProductStatus.AFFECTED,
    "fixed": ProductStatus.FIXED,
    "first_fixed": ProductStatus.FIXED,
    "known_not_affected": ProductStatus.KNOWN_NOT_AFFECTED,
}


def is_csaf(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("document"), Mapping)
        and "csaf_version" in data["document"]
    )


@dataclass(frozen=True)
class CsafHeader:
    """What identifies a CSAF document."""

    publisher: str
    tracking_id: str
    category: str
    title: str
    version: str
    current_release_date: datetime
    tlp: str | None

    @property
    def source(self) -> str:
        return f"csaf:{self.publisher}/{self.tracking_id}"


@dataclass(frozen=True)
class _Product:
    key: str
    ranges: list[dict[str, Any]]
    vendor: str | None
    product: str | None


def _need(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            raise FileRejected(path, "required by CSAF 2.0 and missing")
        current = current[part]
    return current


def header(data: Mapping[str, Any]) -> CsafHeader:
    """The document's identity; :class:`FileRejected` names a missing or wrong field."""
    if str(_need(data, "document.csaf_version")) != "2.0":
        raise FileRejected("document.csaf_version", "only CSAF 2.0 is supported")
    released = parse_time(_need(data, "document.tracking.current_release_date"))
    if released is None:
        raise FileRejected("document.tracking.current_release_date", "not a date-time")
    tlp = data["document"].get("distribution", {}).get("tlp", {}).get("label")
    return CsafHeader(
        publisher=str(_need(data, "document.publisher.namespace")),
        tracking_id=str(_need(data, "document.tracking.id")),
        category=str(_need(data, "document.category")),
        title=str(_need(data, "document.title"))[:500],
        version=str(_need(data, "document.tracking.version")),
        current_release_date=released,
        tlp=str(tlp) if tlp else None,
    )


def _walk(
    branch: Mapping[str, Any],
    trail: dict[str, str],
    where: str,
    products: dict[str, _Product],
    problems: list[Rejection],
) -> None:
    category = str(branch.get("category", ""))
    trail = {**trail, category: str(branch.get("name", ""))}
    leaf = branch.get("product")
    if isinstance(leaf, Mapping):
        _leaf(leaf, trail, f"{where}.product", products, problems)
    for i, child in enumerate(branch.get("branches") or []):
        if isinstance(child, Mapping):
            _walk(child, trail, f"{where}.branches[{i}]", products, problems)


def _leaf(
    leaf: Mapping[str, Any],
    trail: Mapping[str, str],
    where: str,
    products: dict[str, _Product],
    problems: list[Rejection],
) -> None:
    product_id = str(leaf.get("product_id") or "")
    if not product_id:
        problems.append(Rejection("product_tree", f"{where}.product_id", "missing"))
        return
    helper = leaf.get("product_identification_helper") or {}
    vendor = trail.get("vendor")
    name = trail.get("product_name") or trail.get("product_family")
    ranges: list[dict[str, Any]] = []
    try:
        if "product_version_range" in trail:
            ranges = parse_vers(trail["product_version_range"])
        elif "product_version" in trail:
            ranges = [{"exact": trail["product_version"]}]
    except ProductIdError as error:
        problems.append(Rejection(product_id, f"{where}: product_version_range", str(error)))
        return
    key: str | None = None
    try:
        if helper.get("purl"):
            purl = parse_purl(str(helper["purl"]))
            key = purl.key
            if purl.version and not ranges:
                ranges = [{"exact": purl.version}]
        elif helper.get("cpe"):
            cpe = parse_cpe(str(helper["cpe"]))
            key = cpe.key
            if cpe.version and not ranges:
                ranges = [{"exact": cpe.version}]
    except ProductIdError as error:
        field = "purl" if helper.get("purl") else "cpe"
        problems.append(
            Rejection(product_id, f"{where}.product_identification_helper.{field}", str(error))
        )
        return
    if key is None:
        if not vendor or not name:
            problems.append(
                Rejection(product_id, where, "no CPE, purl, or vendor and product name branches")
            )
            return
        key = name_key(vendor, name)
    products[product_id] = _Product(key, ranges, vendor, name)


def product_index(data: Mapping[str, Any]) -> tuple[dict[str, _Product], list[Rejection]]:
    """Every product id of the tree with its key and versions, and the products rejected."""
    tree = data.get("product_tree") or {}
    products: dict[str, _Product] = {}
    problems: list[Rejection] = []
    for i, branch in enumerate(tree.get("branches") or []):
        if isinstance(branch, Mapping):
            _walk(branch, {}, f"product_tree.branches[{i}]", products, problems)
    for i, full in enumerate(tree.get("full_product_names") or []):
        if isinstance(full, Mapping):
            _leaf(full, {}, f"product_tree.full_product_names[{i}]", products, problems)
    # A relationship names a component installed on a platform: match on the component.
    for rel in tree.get("relationships") or []:
        if not isinstance(rel, Mapping):
            continue
        target = (rel.get("full_product_name") or {}).get("product_id")
        component = products.get(str(rel.get("product_reference")))
        if target and component is not None:
            products[str(target)] = component
    return products, problems


def _justifications(vuln: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for flag in vuln.get("flags") or []:
        for pid in flag.get("product_ids") or []:
            found[str(pid)] = str(flag.get("label") or "")
    for threat in vuln.get("threats") or []:
        if threat.get("category") == "impact":
            for pid in threat.get("product_ids") or []:
                found.setdefault(str(pid), str(threat.get("details") or "")[:200])
    return {k: v for k, v in found.items() if v}


def parse_document(
    data: Mapping[str, Any],
) -> tuple[CsafHeader, Iterator[ParsedVulnerability | Rejection]]:
    """The document's header and, lazily, each vulnerability (or its rejection)."""
    head = header(data)
    products, problems = product_index(data)

    def vulnerabilities() -> Iterator[ParsedVulnerability | Rejection]:
        yield from problems
        for i, vuln in enumerate(data.get("vulnerabilities") or []):
            where = f"vulnerabilities[{i}]"
            if not isinstance(vuln, Mapping):
                yield Rejection(where, where, "not an object")
                continue
            identifier = vuln.get("cve")
            if not identifier:
                ids = vuln.get("ids") or []
                text = ids[0].get("text") if ids and isinstance(ids[0], Mapping) else None
                if not text:
                    yield Rejection(where, f"{where}.cve", "neither a CVE nor an id")
                    continue
                identifier = f"{head.tracking_id}#{text}"
            yield _vulnerability(str(identifier), vuln, where, products, head)

    return head, vulnerabilities()


def _vulnerability(
    identifier: str,
    vuln: Mapping[str, Any],
    where: str,
    products: Mapping[str, _Product],
    head: CsafHeader,
) -> ParsedVulnerability | Rejection:
    parsed = ParsedVulnerability(identifier=identifier, record_updated_at=None)
    if vuln.get("title"):
        parsed.values["new_title"] = str(vuln["title"])[:500]
    for note in vuln.get("notes") or []:
        if note.get("category") in ("description", "summary") and note.get("text"):
            parsed.values["new_description"] = str(note["text"])
            break
    for j, score in enumerate(vuln.get("scores") or []):
        for kind in ("cvss_v3",):
            vector = (score.get(kind) or {}).get("vectorString")
            if not vector:
                continue
            try:
                cvss = ssvc.score_cvss(str(vector))
            except ValueError as error:
                return Rejection(identifier, f"{where}.scores[{j}].{kind}.vectorString", str(error))
            parsed.values.update(
                new_cvss_version=cvss.version,
                new_cvss_vector=cvss.vector,
                new_cvss_score=cvss.score,
                new_cvss_severity=cvss.severity,
                new_automatable=cvss.automatable,
                new_technical_impact=cvss.technical_impact,
            )
    reasons = _justifications(vuln)
    statements: list[ParsedStatement] = []
    status = vuln.get("product_status") or {}
    for group, meaning in STATUS_GROUPS.items():
        for pid in status.get(group) or []:
            product = products.get(str(pid))
            if product is None:
                return Rejection(
                    identifier,
                    f"{where}.product_status.{group}",
                    f"product id {pid!r} is not in the product tree",
                )
            justification = None
            if meaning is ProductStatus.KNOWN_NOT_AFFECTED:
                justification = reasons.get(str(pid))
                if not justification:
                    return Rejection(
                        identifier,
                        f"{where}.product_status.known_not_affected",
                        f"product {pid!r} has no justification (a flag or an impact threat)",
                    )
            statements.append(
                ParsedStatement(
                    product.key,
                    meaning,
                    product.ranges,
                    product.vendor,
                    product.product,
                    justification,
                    str(pid),
                )
            )
    parsed.statements = statements
    return parsed
