"""The profile rules of mandatory test 6.1.27: what each document category requires."""

from __future__ import annotations

from collections.abc import Iterator

from certnet.advisories.csaf_checks.registry import (
    Doc,
    Failure,
    check,
    covered,
    group_members,
    vulns,
)

INFORMATIONAL = "csaf_informational_advisory"
ADVISORY_PROFILES = ("csaf_security_advisory", "csaf_vex")


def _category(doc: Doc) -> str:
    return str((doc.get("document") or {}).get("category", ""))


@check("6.1.27.1")
def profile_document_notes(doc: Doc) -> Iterator[Failure]:
    if _category(doc) not in (INFORMATIONAL, "csaf_security_incident_response"):
        return
    notes = (doc.get("document") or {}).get("notes") or []
    if not any(
        n.get("category") in ("description", "details", "general", "summary") for n in notes
    ):
        yield Failure(
            "6.1.27.1", "/document/notes", "needs a description, details, general or summary note"
        )


@check("6.1.27.2")
def profile_document_references(doc: Doc) -> Iterator[Failure]:
    if _category(doc) not in (INFORMATIONAL, "csaf_security_incident_response"):
        return
    references = (doc.get("document") or {}).get("references") or []
    if not any(r.get("category") == "external" for r in references):
        yield Failure("6.1.27.2", "/document/references", "needs an external reference")


@check("6.1.27.3")
def profile_no_vulnerabilities(doc: Doc) -> Iterator[Failure]:
    if _category(doc) == INFORMATIONAL and "vulnerabilities" in doc:
        yield Failure("6.1.27.3", "/vulnerabilities", "an informational advisory has none")


@check("6.1.27.4")
def profile_product_tree(doc: Doc) -> Iterator[Failure]:
    if _category(doc) in ADVISORY_PROFILES and "product_tree" not in doc:
        yield Failure("6.1.27.4", "/product_tree", "is required for this category")


@check("6.1.27.5")
def profile_vulnerability_notes(doc: Doc) -> Iterator[Failure]:
    if _category(doc) not in ADVISORY_PROFILES:
        return
    for v, vuln in vulns(doc):
        if "notes" not in vuln:
            yield Failure("6.1.27.5", f"/vulnerabilities/{v}/notes", "is required")


@check("6.1.27.6")
def profile_product_status(doc: Doc) -> Iterator[Failure]:
    if _category(doc) != "csaf_security_advisory":
        return
    for v, vuln in vulns(doc):
        if "product_status" not in vuln:
            yield Failure("6.1.27.6", f"/vulnerabilities/{v}/product_status", "is required")


VEX_STATUS = ("fixed", "known_affected", "known_not_affected", "under_investigation")


@check("6.1.27.7")
def profile_vex_status(doc: Doc) -> Iterator[Failure]:
    if _category(doc) != "csaf_vex":
        return
    for v, vuln in vulns(doc):
        status = vuln.get("product_status") or {}
        if not any(key in status for key in VEX_STATUS):
            yield Failure(
                "6.1.27.7",
                f"/vulnerabilities/{v}/product_status",
                "needs fixed, known_affected, known_not_affected or under_investigation",
            )


@check("6.1.27.8")
def profile_vulnerability_id(doc: Doc) -> Iterator[Failure]:
    if _category(doc) != "csaf_vex":
        return
    for v, vuln in vulns(doc):
        if "cve" not in vuln and "ids" not in vuln:
            yield Failure("6.1.27.8", f"/vulnerabilities/{v}", "needs a cve or ids")


@check("6.1.27.9")
def profile_impact_statement(doc: Doc) -> Iterator[Failure]:
    if _category(doc) != "csaf_vex":
        return
    groups = group_members(doc)
    for v, vuln in vulns(doc):
        stated = covered(vuln.get("flags") or [], "product_ids", groups)
        stated |= covered(
            [t for t in vuln.get("threats") or [] if t.get("category") == "impact"],
            "product_ids",
            groups,
        )
        for pid in (vuln.get("product_status") or {}).get("known_not_affected") or []:
            if pid not in stated:
                yield Failure(
                    "6.1.27.9",
                    f"/vulnerabilities/{v}/product_status/known_not_affected",
                    f"{pid} has no impact statement (a flag or an impact threat)",
                )


@check("6.1.27.10")
def profile_action_statement(doc: Doc) -> Iterator[Failure]:
    if _category(doc) != "csaf_vex":
        return
    groups = group_members(doc)
    for v, vuln in vulns(doc):
        acted = covered(vuln.get("remediations") or [], "product_ids", groups)
        for pid in (vuln.get("product_status") or {}).get("known_affected") or []:
            if pid not in acted:
                yield Failure(
                    "6.1.27.10",
                    f"/vulnerabilities/{v}/product_status/known_affected",
                    f"{pid} has no action statement (a remediation)",
                )


@check("6.1.27.11")
def profile_vulnerabilities(doc: Doc) -> Iterator[Failure]:
    if _category(doc) in ADVISORY_PROFILES and "vulnerabilities" not in doc:
        yield Failure("6.1.27.11", "/vulnerabilities", "is required for this category")
