"""An advisory as a CSAF 2.0 document (``csaf_security_advisory`` or ``csaf_vex``).

The document is built from the advisory's content, its publisher and its published revisions;
it is what goes out by e-mail, in the portal and in the provider directory. Its shape follows
the OASIS CSAF 2.0 standard (sections 3 and 4); the tests judge it with the official JSON schema
and the standard's own mandatory-test documents.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# cvss ships no type information.
from cvss import CVSS3  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from certnet import __version__
from certnet.advisories.models import Advisory, AdvisoryCategory, AdvisoryStatus
from certnet.advisories.schemas import ProductStatus
from certnet.core.errors import Invalid
from certnet.core.tlp import Tlp

CSAF_VERSION = "2.0"
TLP_URL = "https://www.first.org/tlp/"

#: CSAF 2.0 carries TLP v1 labels. Each TLP 2.0 label maps to the v1 label that restricts at
#: least as much: CLEAR is WHITE; AMBER+STRICT (no v1 equivalent) becomes AMBER, and the
#: distribution text keeps the exact TLP 2.0 label so that no recipient reads it as less.
TLP_V1: dict[Tlp, str] = {
    Tlp.CLEAR: "WHITE",
    Tlp.GREEN: "GREEN",
    Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER",
    Tlp.RED: "RED",
}
TLP_V1_RANK = {"WHITE": 0, "GREEN": 1, "AMBER": 2, "RED": 4}


def csaf_tlp(label: Tlp) -> str:
    """The CSAF 2.0 (TLP v1) label for a TLP 2.0 label: never a less restrictive one."""
    return TLP_V1[label]


@dataclass(frozen=True)
class Publisher:
    """The CERT that issues the document, as CSAF names it."""

    name: str
    namespace: str
    contact_details: str | None = None


@dataclass(frozen=True)
class RevisionEntry:
    """One item of the document's revision history."""

    number: int
    date: datetime
    summary: str


def stamp(moment: datetime) -> str:
    """A CSAF date-time: UTC, seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def filename(tracking_id: str) -> str:
    """The document's file name (CSAF 2.0 section 5.1): the tracking id in lower case, every
    run of characters outside ``+-a-z0-9`` replaced by ``_``, then ``.json``."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The bytes certnet serves and hashes for a document (stable key order, UTF-8)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode()


def sha256_of(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def cvss_v3(vector: str) -> dict[str, Any]:
    """The CSAF ``cvss_v3`` object of a CVSS 3.0/3.1 vector, scored by the ``cvss`` library;
    :class:`Invalid` on ``cvss_v3_vector`` when the vector does not parse."""
    try:
        parsed = CVSS3(vector)
    except CVSSError as exc:
        raise Invalid.on("cvss_v3_vector", f"not a CVSS 3.x vector: {exc}") from None
    version = "3.1" if vector.startswith("CVSS:3.1/") else "3.0"
    base = float(parsed.base_score)
    return {
        "version": version,
        "vectorString": parsed.clean_vector(),
        "baseScore": base,
        "baseSeverity": parsed.severities()[0].upper(),
    }


def _versions_branch(vendor: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The vendor's branch for product ``name`` that holds version branches, made when first
    needed (a branch holds either sub-branches or one product, never an empty list)."""
    for branch in vendor["branches"]:
        if branch["name"] == name and "branches" in branch:
            held: list[dict[str, Any]] = branch["branches"]
            return held
    made: list[dict[str, Any]] = []
    vendor["branches"].append({"category": "product_name", "name": name, "branches": made})
    return made


def _product_tree(
    products: Sequence[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The product tree (vendor → product name → version range / fixed version), and the
    product ids by status: ``known_affected``, ``known_not_affected``, ``under_investigation``,
    ``fixed``, and each justification's ids under ``flag:<label>``."""
    vendors: dict[str, dict[str, Any]] = {}
    status: dict[str, list[str]] = {}
    counter = 0

    def next_id() -> str:
        nonlocal counter
        counter += 1
        return f"CSAFPID-{counter:04d}"

    for product in products:
        vendor = vendors.setdefault(
            product["vendor"], {"category": "vendor", "name": product["vendor"], "branches": []}
        )

        helper = {k: product[k] for k in ("cpe", "purl") if product.get(k)}
        product_id = next_id()
        full_name = f"{product['vendor']} {product['name']}"
        described: dict[str, Any] = {"product_id": product_id}
        if helper:
            described["product_identification_helper"] = helper
        if product.get("versions"):
            described["name"] = f"{full_name} {product['versions']}"
            _versions_branch(vendor, product["name"]).append(
                {
                    "category": "product_version_range",
                    "name": product["versions"],
                    "product": described,
                }
            )
        else:
            # Every version: the product name itself is the product.
            described["name"] = full_name
            vendor["branches"].append(
                {"category": "product_name", "name": product["name"], "product": described}
            )
        state = product.get("status", ProductStatus.AFFECTED.value)
        status.setdefault(state, []).append(product_id)
        if state == ProductStatus.NOT_AFFECTED.value and product.get("justification"):
            status.setdefault(f"flag:{product['justification']}", []).append(product_id)
        if product.get("fixed_version") and state == ProductStatus.AFFECTED.value:
            fixed_id = next_id()
            _versions_branch(vendor, product["name"]).append(
                {
                    "category": "product_version",
                    "name": product["fixed_version"],
                    "product": {
                        "name": f"{full_name} {product['fixed_version']}",
                        "product_id": fixed_id,
                    },
                }
            )
            status.setdefault("fixed", []).append(fixed_id)
    tree = {"branches": list(vendors.values())} if vendors else {}
    return tree, status


def _vulnerability(
    advisory: Advisory, cve: str | None, status: dict[str, list[str]]
) -> dict[str, Any]:
    vulnerability: dict[str, Any] = {}
    if cve:
        vulnerability["cve"] = cve
    else:
        vulnerability["title"] = advisory.title
    vulnerability["notes"] = [
        {"category": "description", "title": "Description", "text": advisory.summary}
    ]
    product_status = {
        key: ids
        for key, ids in status.items()
        if not key.startswith("flag:")
        and ids
        and key in ("known_affected", "known_not_affected", "under_investigation", "fixed")
    }
    if product_status:
        vulnerability["product_status"] = product_status
    flags = [
        {"label": key.removeprefix("flag:"), "product_ids": ids}
        for key, ids in status.items()
        if key.startswith("flag:")
    ]
    if flags:
        vulnerability["flags"] = flags
    affected = status.get("known_affected", [])
    if affected and advisory.remediations:
        vulnerability["remediations"] = [
            {
                "category": r["category"],
                "details": r["details"],
                "product_ids": affected,
                **({"url": r["url"]} if r.get("url") else {}),
            }
            for r in advisory.remediations
        ]
    if affected and advisory.cvss_v3_vector:
        vulnerability["scores"] = [
            {"cvss_v3": cvss_v3(advisory.cvss_v3_vector), "products": affected}
        ]
    return vulnerability


def build_document(
    advisory: Advisory,
    *,
    publisher: Publisher,
    revisions: Sequence[RevisionEntry],
    status: AdvisoryStatus,
    self_url: str | None = None,
) -> dict[str, Any]:
    """The CSAF 2.0 document of ``advisory`` at its latest revision in ``revisions`` (a draft
    preview: one revision numbered 0 and ``status`` draft)."""
    if not revisions:
        raise ValueError("a CSAF document needs at least one revision")
    ordered = sorted(revisions, key=lambda r: r.number)
    latest = ordered[-1]
    label = Tlp(advisory.tlp)
    notes = [{"category": "summary", "title": "Summary", "text": advisory.summary}]
    notes += [
        {
            "category": n["category"],
            "text": n["text"],
            **({"title": n["title"]} if n.get("title") else {}),
        }
        for n in advisory.notes
    ]
    references: list[dict[str, Any]] = []
    if self_url:
        references.append(
            {
                "category": "self",
                "summary": f"This advisory ({advisory.tracking_id})",
                "url": self_url,
            }
        )
    references += [
        {"category": "external", "summary": r["summary"], "url": r["url"]}
        for r in advisory.references
    ]
    publisher_doc: dict[str, Any] = {
        "category": "coordinator",
        "name": publisher.name,
        "namespace": publisher.namespace,
    }
    if publisher.contact_details:
        publisher_doc["contact_details"] = publisher.contact_details
    meta: dict[str, Any] = {
        "category": AdvisoryCategory(advisory.category).value,
        "csaf_version": CSAF_VERSION,
        "distribution": {
            "text": f"TLP:{label.value} (TLP 2.0). Share only as TLP 2.0 allows for this label.",
            "tlp": {"label": csaf_tlp(label), "url": TLP_URL},
        },
        "lang": "en",
        "notes": notes,
        "publisher": publisher_doc,
        "title": advisory.title,
        "tracking": {
            "current_release_date": stamp(latest.date),
            "generator": {"engine": {"name": "certnet", "version": __version__}},
            "id": advisory.tracking_id,
            "initial_release_date": stamp(ordered[0].date),
            "revision_history": [
                {"date": stamp(r.date), "number": str(r.number), "summary": r.summary}
                for r in ordered
            ],
            "status": AdvisoryStatus(status).value,
            "version": str(latest.number),
        },
    }
    if references:
        meta["references"] = references
    document: dict[str, Any] = {"document": meta}
    tree, product_status = _product_tree(advisory.products)
    if tree:
        document["product_tree"] = tree
    cves: list[str | None] = list(advisory.cves) or [None]
    document["vulnerabilities"] = [_vulnerability(advisory, cve, product_status) for cve in cves]
    return document
