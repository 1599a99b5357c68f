"""Mandatory tests on product ids and groups, product status, scores, identification
helpers, remediations, version names and flags (6.1.1-6.1.7, 6.1.9, 6.1.10, 6.1.13,
6.1.29, 6.1.31-6.1.33)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

# cvss ships no type information.
from cvss import CVSS2, CVSS3  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]
from packageurl import PackageURL

from certnet.advisories.csaf_checks.registry import (
    Doc,
    Failure,
    check,
    covered,
    group_members,
    vulns,
)


def _walk_branches(branches: list[Doc], path: str) -> Iterator[tuple[str, Doc]]:
    for i, branch in enumerate(branches):
        here = f"{path}[{i}]"
        if "product" in branch:
            yield f"{here}/product", branch["product"]
        yield from _walk_branches(branch.get("branches") or [], f"{here}/branches")


def _defined_products(doc: Doc) -> list[tuple[str, str]]:
    """(path, product_id) of every product definition in the product tree."""
    tree = doc.get("product_tree") or {}
    found = [
        (f"{p}/product_id", product["product_id"])
        for p, product in _walk_branches(tree.get("branches") or [], "/product_tree/branches")
        if "product_id" in product
    ]
    for i, product in enumerate(tree.get("full_product_names") or []):
        found.append((f"/product_tree/full_product_names/{i}/product_id", product["product_id"]))
    for i, rel in enumerate(tree.get("relationships") or []):
        name = rel.get("full_product_name") or {}
        if "product_id" in name:
            found.append(
                (
                    f"/product_tree/relationships/{i}/full_product_name/product_id",
                    name["product_id"],
                )
            )
    return found


PRODUCT_STATUS_KEYS = (
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
)


def _product_references(doc: Doc) -> Iterator[tuple[str, str]]:
    """(path, product_id) of every place that refers to a product."""
    tree = doc.get("product_tree") or {}
    for i, group in enumerate(tree.get("product_groups") or []):
        for j, pid in enumerate(group.get("product_ids") or []):
            yield f"/product_tree/product_groups/{i}/product_ids/{j}", pid
    for i, rel in enumerate(tree.get("relationships") or []):
        for key in ("product_reference", "relates_to_product_reference"):
            if key in rel:
                yield f"/product_tree/relationships/{i}/{key}", rel[key]
    for v, vuln in vulns(doc):
        base = f"/vulnerabilities/{v}"
        for key, ids in (vuln.get("product_status") or {}).items():
            for j, pid in enumerate(ids):
                yield f"{base}/product_status/{key}/{j}", pid
        for part, field in (
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ):
            for i, item in enumerate(vuln.get(part) or []):
                for j, pid in enumerate(item.get(field) or []):
                    yield f"{base}/{part}/{i}/{field}/{j}", pid


@check("6.1.1")
def missing_product_definition(doc: Doc) -> Iterator[Failure]:
    defined = {pid for _, pid in _defined_products(doc)}
    for path, pid in _product_references(doc):
        if pid not in defined:
            yield Failure("6.1.1", path, f"product id {pid} is not defined")


@check("6.1.2")
def multiple_product_definition(doc: Doc) -> Iterator[Failure]:
    seen: set[str] = set()
    for path, pid in _defined_products(doc):
        if pid in seen:
            yield Failure("6.1.2", path, f"product id {pid} is defined more than once")
        seen.add(pid)


@check("6.1.3")
def circular_product_definition(doc: Doc) -> Iterator[Failure]:
    tree = doc.get("product_tree") or {}
    made_from: dict[str, set[str]] = {}
    for rel in tree.get("relationships") or []:
        pid = (rel.get("full_product_name") or {}).get("product_id")
        if pid:
            made_from.setdefault(pid, set()).update(
                rel[k] for k in ("product_reference", "relates_to_product_reference") if k in rel
            )
    for i, rel in enumerate(tree.get("relationships") or []):
        pid = (rel.get("full_product_name") or {}).get("product_id")
        if not pid:
            continue
        stack, seen = list(made_from.get(pid, ())), set()
        while stack:
            current = stack.pop()
            if current == pid:
                yield Failure(
                    "6.1.3", f"/product_tree/relationships/{i}", f"{pid} is defined through itself"
                )
                break
            if current not in seen:
                seen.add(current)
                stack.extend(made_from.get(current, ()))


def _group_references(doc: Doc) -> Iterator[tuple[str, str]]:
    for v, vuln in vulns(doc):
        for part in ("remediations", "threats", "flags"):
            for i, item in enumerate(vuln.get(part) or []):
                for j, gid in enumerate(item.get("group_ids") or []):
                    yield f"/vulnerabilities/{v}/{part}/{i}/group_ids/{j}", gid


@check("6.1.4")
def missing_group_definition(doc: Doc) -> Iterator[Failure]:
    groups = (doc.get("product_tree") or {}).get("product_groups") or []
    defined = {g.get("group_id") for g in groups}
    for path, gid in _group_references(doc):
        if gid not in defined:
            yield Failure("6.1.4", path, f"product group id {gid} is not defined")


@check("6.1.5")
def multiple_group_definition(doc: Doc) -> Iterator[Failure]:
    seen: set[str] = set()
    groups = (doc.get("product_tree") or {}).get("product_groups") or []
    for i, group in enumerate(groups):
        gid = group.get("group_id")
        if gid in seen:
            yield Failure("6.1.5", f"/product_tree/product_groups/{i}/group_id", f"{gid} twice")
        seen.add(gid)


STATUS_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under investigation",
}


@check("6.1.6")
def contradicting_status(doc: Doc) -> Iterator[Failure]:
    for v, vuln in vulns(doc):
        groups: dict[str, set[str]] = {}
        for key, ids in (vuln.get("product_status") or {}).items():
            if key in STATUS_GROUPS:
                for pid in ids:
                    groups.setdefault(pid, set()).add(STATUS_GROUPS[key])
        for pid, found in sorted(groups.items()):
            if len(found) > 1:
                yield Failure(
                    "6.1.6",
                    f"/vulnerabilities/{v}/product_status",
                    f"{pid} is both {' and '.join(sorted(found))}",
                )


@check("6.1.7")
def multiple_scores_same_version(doc: Doc) -> Iterator[Failure]:
    for v, vuln in vulns(doc):
        counts: Counter[tuple[str, str]] = Counter()
        for score in vuln.get("scores") or []:
            for kind in ("cvss_v2", "cvss_v3"):
                if kind in score:
                    for pid in score.get("products") or []:
                        counts[(pid, str(score[kind].get("version")))] += 1
        for (pid, version), n in sorted(counts.items()):
            if n > 1:
                yield Failure(
                    "6.1.7", f"/vulnerabilities/{v}/scores", f"{pid} has {n} CVSS {version} scores"
                )


def _cvss_objects(doc: Doc) -> Iterator[tuple[str, str, Doc]]:
    for v, vuln in vulns(doc):
        for i, score in enumerate(vuln.get("scores") or []):
            for kind in ("cvss_v2", "cvss_v3"):
                if kind in score:
                    yield f"/vulnerabilities/{v}/scores/{i}/{kind}", kind, score[kind]


def _scores(kind: str, vector: str) -> tuple[float | None, float | None, float | None] | None:
    try:
        parsed: CVSS2 | CVSS3 = CVSS2(vector) if kind == "cvss_v2" else CVSS3(vector)
    except (CVSSError, ValueError, KeyError):
        return None
    base, temporal, environmental = parsed.scores()
    return (
        float(base) if base is not None else None,
        float(temporal) if temporal is not None else None,
        float(environmental) if environmental is not None else None,
    )


SEVERITY_BANDS = ((0.0, "NONE"), (3.9, "LOW"), (6.9, "MEDIUM"), (8.9, "HIGH"), (10.0, "CRITICAL"))


def _severity(score: float) -> str:
    if score == 0:
        return "NONE"
    for upper, name in SEVERITY_BANDS[1:]:
        if score <= upper:
            return name
    return "CRITICAL"


@check("6.1.9")
def invalid_cvss_computation(doc: Doc) -> Iterator[Failure]:
    for path, kind, obj in _cvss_objects(doc):
        scores = _scores(kind, str(obj.get("vectorString", "")))
        if scores is None:
            yield Failure("6.1.9", f"{path}/vectorString", "the vector does not parse")
            continue
        base, temporal, environmental = scores
        for key, expected in (
            ("baseScore", base),
            ("temporalScore", temporal),
            ("environmentalScore", environmental),
        ):
            if key in obj and expected is not None and float(obj[key]) != expected:
                yield Failure(
                    "6.1.9", f"{path}/{key}", f"is {obj[key]}, the vector gives {expected}"
                )
        if kind == "cvss_v3":
            for key, score_key in (
                ("baseSeverity", "baseScore"),
                ("temporalSeverity", "temporalScore"),
                ("environmentalSeverity", "environmentalScore"),
            ):
                if key in obj and score_key in obj and obj[key] != _severity(float(obj[score_key])):
                    yield Failure(
                        "6.1.9", f"{path}/{key}", f"{obj[key]} does not match {obj[score_key]}"
                    )


V3_METRICS = {
    "AV": (
        "attackVector",
        {"N": "NETWORK", "A": "ADJACENT_NETWORK", "L": "LOCAL", "P": "PHYSICAL"},
    ),
    "AC": ("attackComplexity", {"L": "LOW", "H": "HIGH"}),
    "PR": ("privilegesRequired", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "UI": ("userInteraction", {"N": "NONE", "R": "REQUIRED"}),
    "S": ("scope", {"U": "UNCHANGED", "C": "CHANGED"}),
    "C": ("confidentialityImpact", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "I": ("integrityImpact", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "A": ("availabilityImpact", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
}
V2_METRICS = {
    "AV": ("accessVector", {"N": "NETWORK", "A": "ADJACENT_NETWORK", "L": "LOCAL"}),
    "AC": ("accessComplexity", {"L": "LOW", "M": "MEDIUM", "H": "HIGH"}),
    "Au": ("authentication", {"N": "NONE", "S": "SINGLE", "M": "MULTIPLE"}),
    "C": ("confidentialityImpact", {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}),
    "I": ("integrityImpact", {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}),
    "A": ("availabilityImpact", {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}),
}


@check("6.1.10")
def inconsistent_cvss(doc: Doc) -> Iterator[Failure]:
    for path, kind, obj in _cvss_objects(doc):
        metrics = V3_METRICS if kind == "cvss_v3" else V2_METRICS
        parts = dict(
            part.split(":", 1)
            for part in str(obj.get("vectorString", "")).split("/")
            if ":" in part
        )
        for short, (name, values) in metrics.items():
            if name in obj and short in parts and values.get(parts[short]) != obj[name]:
                yield Failure(
                    "6.1.10", f"{path}/{name}", f"{obj[name]} contradicts {short}:{parts[short]}"
                )


def _helpers(doc: Doc) -> Iterator[tuple[str, Doc]]:
    tree = doc.get("product_tree") or {}
    products = list(_walk_branches(tree.get("branches") or [], "/product_tree/branches"))
    products += [
        (f"/product_tree/full_product_names/{i}", p)
        for i, p in enumerate(tree.get("full_product_names") or [])
    ]
    products += [
        (f"/product_tree/relationships/{i}/full_product_name", r.get("full_product_name") or {})
        for i, r in enumerate(tree.get("relationships") or [])
    ]
    for path, product in products:
        helper = product.get("product_identification_helper")
        if helper:
            yield f"{path}/product_identification_helper", helper


@check("6.1.13")
def invalid_purl(doc: Doc) -> Iterator[Failure]:
    for path, helper in _helpers(doc):
        if "purl" in helper:
            try:
                PackageURL.from_string(helper["purl"])
            except ValueError as exc:
                yield Failure("6.1.13", f"{path}/purl", f"not a valid purl: {exc}")


# --- remediations, versions in names, flags ---------------------------------------------------


@check("6.1.29")
def remediation_without_product(doc: Doc) -> Iterator[Failure]:
    for v, vuln in vulns(doc):
        for i, item in enumerate(vuln.get("remediations") or []):
            if not item.get("product_ids") and not item.get("group_ids"):
                yield Failure(
                    "6.1.29", f"/vulnerabilities/{v}/remediations/{i}", "names no product"
                )


RANGE_WORDS = re.compile(
    r"(<|<=|>|>=)|(^|\s)(after|all|before|earlier|later|prior|versions)(\s|$)", re.IGNORECASE
)


def _branch_items(branches: list[Doc], path: str) -> Iterator[tuple[str, Doc]]:
    for i, branch in enumerate(branches):
        here = f"{path}/{i}"
        yield here, branch
        yield from _branch_items(branch.get("branches") or [], f"{here}/branches")


@check("6.1.31")
def range_in_product_version(doc: Doc) -> Iterator[Failure]:
    tree = doc.get("product_tree") or {}
    for path, branch in _branch_items(tree.get("branches") or [], "/product_tree/branches"):
        if branch.get("category") == "product_version" and RANGE_WORDS.search(
            str(branch.get("name", ""))
        ):
            yield Failure("6.1.31", f"{path}/name", "a product_version names a range")


@check("6.1.32")
def flag_without_product(doc: Doc) -> Iterator[Failure]:
    for v, vuln in vulns(doc):
        for i, flag in enumerate(vuln.get("flags") or []):
            if not flag.get("product_ids") and not flag.get("group_ids"):
                yield Failure("6.1.32", f"/vulnerabilities/{v}/flags/{i}", "names no product")


@check("6.1.33")
def multiple_flags_per_product(doc: Doc) -> Iterator[Failure]:
    groups = group_members(doc)
    for v, vuln in vulns(doc):
        counts: Counter[str] = Counter()
        for flag in vuln.get("flags") or []:
            for pid in covered([flag], "product_ids", groups):
                counts[pid] += 1
        for pid, n in sorted(counts.items()):
            if n > 1:
                yield Failure("6.1.33", f"/vulnerabilities/{v}/flags", f"{pid} has {n} flags")
