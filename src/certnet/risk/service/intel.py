"""Vulnerability intelligence from files: CVE JSON 5, the KEV catalogue, EPSS scores and
vendor CSAF 2.0 advisories (VEX included). Each import upserts by identifier (never a
duplicate), rejects bad records with their id and field while the rest imports, records an
:class:`IntelImport` with the summary, audits it, and rematches what it touched."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from certnet.config import get_settings
from certnet.constituency import service as constituency
from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid, NotFound
from certnet.core.tlp import Tlp
from certnet.risk import matching, ssvc
from certnet.risk.models import AffectedProduct, CsafDocument, IntelImport, Vulnerability
from certnet.risk.parsers import FileRejected, ParsedVulnerability, Rejection, csaf, cve5, epss, kev

KINDS = ("cve", "kev", "epss", "csaf")


@dataclass
class ImportSummary:
    """What an import did: imported (new), updated, unchanged, rejected (with reasons), and
    how many exposures the rematch it triggered created, changed or retired."""

    kind: str
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    exposures_changed: int = 0
    import_id: int | None = None

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "rejections": [r.as_dict() for r in self.rejections],
            "exposures_changed": self.exposures_changed,
            "import_id": self.import_id,
        }


def rules() -> ssvc.Policy:
    """The measure policy of the installation's profile."""
    return ssvc.policy(get_settings().profile)


def _importing_cert(session: Session, principal: Principal) -> int:
    if "write" not in principal.scopes or not access.allowed(
        principal.role, "edit", "vulnerability"
    ):
        raise Forbidden("you may not import vulnerability intelligence")
    if principal.cert_id is not None:
        return principal.cert_id
    top = constituency.top_cert_id(session=session)
    if top is None:
        raise Invalid.on("cert", "no CERT exists yet to own imported intelligence")
    return top


def detect_kind(content: bytes, filename: str | None = None) -> tuple[str, Any]:
    """What a file holds (``cve``, ``kev``, ``epss`` or ``csaf``) and its parsed content;
    :class:`Invalid` when it is none of them."""
    text = content.decode("utf-8-sig", errors="replace")
    if epss.looks_like_epss(text):
        return "epss", text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Invalid.on(
            filename or "file", f"neither JSON (CVE, KEV, CSAF) nor EPSS CSV: {error}"
        ) from None
    if cve5.is_cve_record(data):
        return "cve", [data]
    if isinstance(data, list) and data and all(cve5.is_cve_record(d) for d in data[:5]):
        return "cve", data
    if isinstance(data, Mapping) and isinstance(data.get("cves"), list):
        return "cve", data["cves"]
    if kev.is_kev_catalogue(data):
        return "kev", data
    if csaf.is_csaf(data):
        return "csaf", data
    raise Invalid.on(
        filename or "file",
        "not a CVE JSON 5 record, a KEV catalogue, an EPSS CSV or a CSAF 2.0 document",
    )


def import_file(
    *,
    session: Session,
    principal: Principal,
    content: bytes,
    filename: str | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Import one intelligence file, detecting its kind unless ``kind`` is given."""
    detected, data = detect_kind(content, filename)
    if kind is not None and kind != detected:
        raise Invalid.on("kind", f"the file holds {detected}, not {kind}")
    moment = now or clock.now()
    digest = hashlib.sha256(content).hexdigest()
    if detected == "csaf":
        return import_csaf(
            session=session,
            principal=principal,
            document=data,
            filename=filename,
            now=moment,
            sha256=digest,
        )
    cert_id = _importing_cert(session, principal)
    try:
        if detected == "cve":
            items: Iterable[ParsedVulnerability | Rejection] = cve5.parse_records(data)
            source = "cve"
        elif detected == "kev":
            items, source = kev.parse_catalogue(data), "kev"
        else:
            items, source = epss.parse_csv(data), "epss"
        summary = ImportSummary(detected)
        touched = _upsert(session, cert_id, items, source, moment, summary)
    except FileRejected as error:
        raise Invalid.on(error.field, error.reason) from None
    return _finish(session, principal, cert_id, summary, touched, filename, digest, moment)


def import_csaf(
    *,
    session: Session,
    principal: Principal,
    document: Mapping[str, Any],
    filename: str | None = None,
    now: datetime | None = None,
    sha256: str | None = None,
) -> ImportSummary:
    """Import one vendor CSAF 2.0 document (``csaf_security_advisory``, ``csaf_vex`` or
    ``csaf_base``) as intelligence: its product tree becomes affected-product statements per
    vulnerability (``known_affected``/``fixed``/``known_not_affected`` with the VEX
    justification, which suppresses the matching exposures), CVSS from its scores.

    Re-importing the same document (same publisher namespace and tracking id) replaces its
    statements; an older ``current_release_date`` than the stored one changes nothing. A
    vulnerability without a usable identifier is rejected with its index and field; the rest
    imports. Matching assets are rematched. Never commits.
    """
    moment = now or clock.now()
    cert_id = _importing_cert(session, principal)
    digest = sha256 or hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    try:
        head, items = csaf.parse_document(document)
    except FileRejected as error:
        raise Invalid.on(error.field, error.reason) from None
    summary = ImportSummary("csaf")
    try:
        tlp = Tlp.parse(head.tlp) if head.tlp else Tlp.CLEAR
    except ValueError as error:
        raise Invalid.on("document.distribution.tlp.label", str(error)) from None
    stored = session.scalar(
        select(CsafDocument).where(
            CsafDocument.publisher == head.publisher,
            CsafDocument.tracking_id == head.tracking_id,
        )
    )
    if stored is not None and stored.current_release_date >= head.current_release_date:
        summary.unchanged = sum(1 for item in items if not isinstance(item, Rejection))
        return _finish(session, principal, cert_id, summary, set(), filename, digest, moment)
    if stored is None:
        stored = CsafDocument(
            owner_cert_id=cert_id,
            publisher=head.publisher,
            tracking_id=head.tracking_id,
            created_at=moment,
        )
        session.add(stored)
    stored.category = head.category
    stored.title = head.title
    stored.version = head.version
    stored.current_release_date = head.current_release_date
    stored.tlp = tlp
    stored.document = dict(document)
    stored.updated_at = moment
    # The new release replaces every statement the previous one made.
    previous = set(
        session.scalars(
            select(AffectedProduct.vulnerability_id).where(AffectedProduct.source == head.source)
        )
    )
    session.execute(delete(AffectedProduct).where(AffectedProduct.source == head.source))
    touched = _upsert(session, cert_id, items, head.source, moment, summary, tlp=tlp)
    return _finish(
        session, principal, cert_id, summary, touched | previous, filename, digest, moment
    )


def _upsert(
    session: Session,
    cert_id: int,
    items: Iterable[ParsedVulnerability | Rejection],
    source: str,
    now: datetime,
    summary: ImportSummary,
    *,
    tlp: Tlp = Tlp.CLEAR,
) -> set[int]:
    """Write parsed vulnerabilities; returns the ids whose matching may have changed."""
    touched: set[int] = set()
    batch: list[ParsedVulnerability] = []
    for item in items:
        if isinstance(item, Rejection):
            summary.rejections.append(item)
            continue
        batch.append(item)
        if len(batch) >= 2000:
            touched |= _upsert_batch(session, cert_id, batch, source, now, summary, tlp)
            batch = []
    if batch:
        touched |= _upsert_batch(session, cert_id, batch, source, now, summary, tlp)
    return touched


def _upsert_batch(
    session: Session,
    cert_id: int,
    batch: list[ParsedVulnerability],
    source: str,
    now: datetime,
    summary: ImportSummary,
    tlp: Tlp,
) -> set[int]:
    changed_rows: list[Vulnerability] = []
    ids = sorted({p.identifier for p in batch})
    stored = {
        v.identifier: v
        for v in session.scalars(select(Vulnerability).where(Vulnerability.identifier.in_(ids)))
    }
    source_tag = source.split(":", 1)[0] if source.startswith("csaf:") else source
    for parsed in batch:
        vuln = stored.get(parsed.identifier)
        is_new = vuln is None
        if vuln is None:
            vuln = Vulnerability(
                identifier=parsed.identifier,
                owner_cert_id=cert_id,
                tlp=tlp,
                state="PUBLISHED",
                kev=False,
                kev_ransomware=False,
                poc=False,
                exploited=False,
                sources="",
                created_at=now,
                updated_at=now,
            )
            session.add(vuln)
            stored[parsed.identifier] = vuln
        elif (
            parsed.record_updated_at is not None
            and vuln.record_updated_at is not None
            and vuln.record_updated_at >= parsed.record_updated_at
        ):
            summary.unchanged += 1
            continue
        changed = _apply(vuln, parsed, source_tag)
        if parsed.record_updated_at is not None:
            vuln.record_updated_at = parsed.record_updated_at
        if parsed.statements is not None:
            session.flush()
            changed |= _replace_statements(session, vuln.id, parsed, source)
        if is_new:
            summary.imported += 1
        elif changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
        if changed or is_new:
            vuln.updated_at = now
            changed_rows.append(vuln)
    session.flush()  # new rows get their ids
    return {v.id for v in changed_rows}


def _apply(vuln: Vulnerability, parsed: ParsedVulnerability, source_tag: str) -> bool:
    changed = False
    for name, value in parsed.values.items():
        if name.startswith("new_"):
            # Secondary sources (KEV, a vendor CSAF) fill what the CVE record left empty.
            column = name[4:]
            if getattr(vuln, column) is None and value is not None:
                setattr(vuln, column, value)
                changed = True
            continue
        if getattr(vuln, name) != value:
            setattr(vuln, name, value)
            changed = True
    sources = [s for s in vuln.sources.split(",") if s]
    if source_tag not in sources:
        vuln.sources = ",".join([*sources, source_tag])[:1000]
    return changed


def _replace_statements(
    session: Session, vulnerability_id: int, parsed: ParsedVulnerability, source: str
) -> bool:
    assert parsed.statements is not None
    old = {
        (a.product_key, a.status.value, json.dumps(a.ranges, sort_keys=True), a.justification)
        for a in session.scalars(
            select(AffectedProduct).where(
                AffectedProduct.vulnerability_id == vulnerability_id,
                AffectedProduct.source == source,
            )
        )
    }
    new = {
        (s.product_key, s.status.value, json.dumps(s.ranges, sort_keys=True), s.justification)
        for s in parsed.statements
    }
    if old == new and not source.startswith("csaf:"):
        return False
    session.execute(
        delete(AffectedProduct).where(
            AffectedProduct.vulnerability_id == vulnerability_id,
            AffectedProduct.source == source,
        )
    )
    for st in parsed.statements:
        session.add(
            AffectedProduct(
                vulnerability_id=vulnerability_id,
                source=source,
                product_key=st.product_key,
                vendor=(st.vendor or None) and st.vendor[:200],
                product=(st.product or None) and st.product[:200],
                ranges=st.ranges,
                status=st.status,
                justification=st.justification,
                product_ref=st.product_ref,
            )
        )
    return old != new


def _finish(
    session: Session,
    principal: Principal,
    cert_id: int,
    summary: ImportSummary,
    touched: set[int],
    filename: str | None,
    digest: str,
    now: datetime,
) -> ImportSummary:
    session.flush()
    if touched:
        result = matching.rematch(session, now=now, rules=rules(), vulnerability_ids=touched)
        summary.exposures_changed = result.touched
    record = IntelImport(
        owner_cert_id=cert_id,
        kind=summary.kind,
        filename=(filename or None) and filename[:255],
        sha256=digest,
        imported=summary.imported,
        updated=summary.updated,
        unchanged=summary.unchanged,
        rejected=summary.rejected,
        rejections=[r.as_dict() for r in summary.rejections[:1000]],
        run_by=principal.name,
        at=now,
    )
    session.add(record)
    session.flush()
    summary.import_id = record.id
    audit.record(
        session=session,
        principal=principal,
        action="risk.intel.import",
        object_type="intel_import",
        object_id=record.id,
        after={k: v for k, v in summary.as_dict().items() if k != "rejections"},
        owner_cert_id=cert_id,
    )
    return summary


def list_imports(*, session: Session, principal: Principal, limit: int = 20) -> list[IntelImport]:
    """The latest intelligence imports the principal may see."""
    stmt = access.scoped(select(IntelImport), principal).order_by(IntelImport.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def rematch_all(
    *, session: Session, principal: Principal, now: datetime | None = None
) -> matching.RematchResult:
    """Match every statement against every asset again (after a policy change, say);
    idempotent, audited. CERT staff of the top of the reporting line, or certnet itself."""
    if not principal.all_tenancy or not access.allowed(principal.role, "edit", "exposure"):
        raise Forbidden("a full rematch is run by the National CERT or certnet itself")
    moment = now or clock.now()
    result = matching.rematch(session, now=moment, rules=rules())
    audit.record(
        session=session,
        principal=principal,
        action="risk.rematch",
        object_type="exposure",
        object_id="all",
        after={
            "assets_checked": result.assets_checked,
            "created": result.created,
            "changed": result.changed,
            "gone": result.gone,
            "measures_created": result.measures_created,
        },
    )
    return result


def get_vulnerability(*, session: Session, principal: Principal, identifier: str) -> Vulnerability:
    """One vulnerability by identifier (``CVE-2024-3400``), or NotFound."""
    found = session.scalar(
        access.scoped(
            select(Vulnerability).where(Vulnerability.identifier == identifier), principal
        )
    )
    if found is None:
        raise NotFound(f"vulnerability {identifier} not found")
    return found
