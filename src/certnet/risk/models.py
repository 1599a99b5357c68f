"""Tables of the risk domain: what each organisation runs (assets), the vulnerability
intelligence certnet holds (CVE, KEV, EPSS, vendor CSAF/VEX), where the two meet (exposures,
prioritised with SSVC), the protective measure each exposure calls for, and daily snapshots
of the risk register."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.core.tlp import Tlp
from certnet.db.base import Base, enum_column, intpk, name_str, short_str

#: Longest normalised product key: ``cpe:vendor:product`` or ``pkg:type/namespace/name``.
PRODUCT_KEY_MAX = 300


class InternetExposure(StrEnum):
    """How reachable an asset is (the SSVC *System Exposure* decision point)."""

    SMALL = "small"
    CONTROLLED = "controlled"
    OPEN = "open"


class Criticality(StrEnum):
    """How much the organisation's mission depends on an asset."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Exploitation(StrEnum):
    """SSVC *Exploitation*: none, a public proof of concept, or active exploitation."""

    NONE = "none"
    POC = "poc"
    ACTIVE = "active"


class Automatable(StrEnum):
    """SSVC *Automatable*."""

    NO = "no"
    YES = "yes"


class TechnicalImpact(StrEnum):
    """SSVC *Technical Impact*."""

    PARTIAL = "partial"
    TOTAL = "total"


class ProductStatus(StrEnum):
    """What a source says about a product and a vulnerability (CVE 5 ``status``, CSAF
    ``product_status`` groups folded to four)."""

    AFFECTED = "affected"
    UNAFFECTED = "unaffected"
    KNOWN_NOT_AFFECTED = "known_not_affected"
    FIXED = "fixed"


class ExposureState(StrEnum):
    """Whether an exposure stands: ``active``, ``suppressed`` by a VEX statement, or ``gone``
    (a later import or an asset change no longer matches)."""

    ACTIVE = "active"
    SUPPRESSED = "suppressed"
    GONE = "gone"


class MeasureKind(StrEnum):
    """The protective measure an exposure calls for."""

    PATCH = "patch"
    MITIGATE = "mitigate"
    WORKAROUND = "workaround"
    ISOLATE = "isolate"


class MeasureState(StrEnum):
    """open → in progress → done → verified, or risk accepted (with reason and expiry)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"
    RISK_ACCEPTED = "risk_accepted"


class Asset(Base):
    """A product an organisation runs: CPE 2.3 and/or purl, version, how exposed it is, how
    much the mission depends on it, and who to ask about it.

    ``cpe_key`` (``vendor:product``) and ``purl_key`` (``type/namespace/name``) are the
    normalised names matching looks assets up by, so that a new vulnerability touches only the
    assets of the products it names.
    """

    __tablename__ = "asset"
    __access__ = Ownership("asset", organisation="organisation_id")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[name_str]
    cpe: Mapped[str | None] = mapped_column(String(500))
    purl: Mapped[str | None] = mapped_column(String(500))
    cpe_key: Mapped[str | None] = mapped_column(String(PRODUCT_KEY_MAX), index=True)
    purl_key: Mapped[str | None] = mapped_column(String(PRODUCT_KEY_MAX), index=True)
    version: Mapped[str | None] = mapped_column(String(128))
    exposure: Mapped[InternetExposure] = mapped_column(
        enum_column(InternetExposure, 16), default=InternetExposure.CONTROLLED
    )
    criticality: Mapped[Criticality] = mapped_column(
        enum_column(Criticality, 16), default=Criticality.MEDIUM
    )
    owner_contact: Mapped[str | None] = mapped_column(String(254))
    #: Where the asset came from: ``manual``, ``csv:<file>``, ``sbom:<serial>``.
    source: Mapped[str] = mapped_column(String(200), default="manual")
    #: The SBOM component's ``bom-ref``, so that re-importing an SBOM updates in place.
    bom_ref: Mapped[str | None] = mapped_column(String(500))
    #: A stable identity within the organisation: re-imports update the same row.
    natural_key: Mapped[str] = mapped_column(String(700))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("organisation_id", "natural_key"),)


class Vulnerability(Base):
    """One vulnerability (a CVE, or a vendor advisory's vulnerability without one) with what
    the intelligence sources said about it: CVSS, EPSS, KEV, proof of concept.

    Intelligence is public (TLP:CLEAR by default) and shared by the whole network: one row per
    identifier whoever imported it, updated in place by later imports.
    """

    __tablename__ = "vulnerability"
    __access__ = Ownership("vulnerability", tlp="tlp")

    id: Mapped[intpk]
    #: ``CVE-2024-3400`` or, without a CVE, ``<csaf tracking id>#<n>``.
    identifier: Mapped[str] = mapped_column(String(128), unique=True)
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16), default=Tlp.CLEAR)
    title: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    #: ``PUBLISHED`` or ``REJECTED`` (CVE 5 state).
    state: Mapped[short_str] = mapped_column(default="PUBLISHED")
    published_at: Mapped[datetime | None]
    #: The source record's own update time; an older record never overwrites a newer one.
    record_updated_at: Mapped[datetime | None]
    cvss_version: Mapped[str | None] = mapped_column(String(8))
    cvss_vector: Mapped[str | None] = mapped_column(String(300))
    cvss_score: Mapped[float | None] = mapped_column(Float)
    cvss_severity: Mapped[str | None] = mapped_column(String(16))
    epss: Mapped[float | None] = mapped_column(Float)
    epss_percentile: Mapped[float | None] = mapped_column(Float)
    epss_date: Mapped[date | None] = mapped_column(Date)
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    kev_date_added: Mapped[date | None] = mapped_column(Date)
    kev_due_date: Mapped[date | None] = mapped_column(Date)
    kev_ransomware: Mapped[bool] = mapped_column(Boolean, default=False)
    kev_action: Mapped[str | None] = mapped_column(Text)
    #: A public proof of concept is known (a source or an analyst said so).
    poc: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Active exploitation reported outside KEV (CISA's SSVC enrichment of the CVE record).
    exploited: Mapped[bool] = mapped_column(Boolean, default=False)
    #: SSVC *Automatable* and *Technical Impact* as a source stated them or the CVSS vector
    #: implies; None when nothing says.
    automatable: Mapped[str | None] = mapped_column(String(8))
    technical_impact: Mapped[str | None] = mapped_column(String(16))
    #: Comma-separated sources that contributed: ``cve``, ``kev``, ``epss``, ``csaf:<id>``.
    sources: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AffectedProduct(Base):
    """What one source says about one product and one vulnerability: the normalised product
    key, the version ranges, and the status (affected, fixed, known not affected with the VEX
    justification). Read only through its (scoped) vulnerability."""

    __tablename__ = "affected_product"

    id: Mapped[intpk]
    vulnerability_id: Mapped[int] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), index=True
    )
    #: ``cve`` or ``csaf:<publisher namespace>/<tracking id>``: re-importing a source
    #: replaces its own statements and no one else's.
    source: Mapped[str] = mapped_column(String(400))
    product_key: Mapped[str] = mapped_column(String(PRODUCT_KEY_MAX))
    vendor: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    #: Version ranges as data: ``[{"introduced": "2.0", "fixed": "2.17.1"}, {"exact": "1.2"}]``;
    #: empty means every version.
    ranges: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[ProductStatus] = mapped_column(enum_column(ProductStatus, 24))
    justification: Mapped[str | None] = mapped_column(String(200))
    #: The CSAF product id it came from, for display.
    product_ref: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_affected_product_key", "product_key"),)


class CsafDocument(Base):
    """A vendor CSAF 2.0 advisory (or VEX document) imported as intelligence."""

    __tablename__ = "csaf_document"
    __access__ = Ownership("csaf_document", tlp="tlp")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    publisher: Mapped[str] = mapped_column(String(300))
    tracking_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    version: Mapped[str] = mapped_column(String(32))
    current_release_date: Mapped[datetime]
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16), default=Tlp.CLEAR)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("publisher", "tracking_id"),)


class IntelImport(Base):
    """One import of an intelligence file: what kind, and imported / updated / rejected with
    each rejection's record and reason."""

    __tablename__ = "intel_import"
    __access__ = Ownership("intel_import", visible_down_line=False)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[short_str]
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    imported: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: ``[{"record": "CVE-…", "field": "…", "reason": "…"}]``
    rejections: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    run_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class Exposure(Base):
    """An asset running a product a vulnerability affects, with the SSVC inputs as derived
    (or as an analyst overrode them, with a recorded reason) and both trees' outcomes."""

    __tablename__ = "exposure"
    __access__ = Ownership("exposure", organisation="organisation_id")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    vulnerability_id: Mapped[int] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[ExposureState] = mapped_column(enum_column(ExposureState, 16))
    #: Why it is suppressed: the VEX justification and the document that said so.
    suppressed_by: Mapped[str | None] = mapped_column(String(500))
    #: ``cpe`` or ``purl``: which identifier matched.
    matched_on: Mapped[str] = mapped_column(String(8))
    exploitation: Mapped[Exploitation] = mapped_column(enum_column(Exploitation, 16))
    automatable: Mapped[Automatable] = mapped_column(enum_column(Automatable, 8))
    technical_impact: Mapped[TechnicalImpact] = mapped_column(enum_column(TechnicalImpact, 16))
    system_exposure: Mapped[InternetExposure] = mapped_column(enum_column(InternetExposure, 16))
    #: SSVC *Mission and Well-being* (coordinator tree): low / medium / high.
    mission_wellbeing: Mapped[short_str]
    #: SSVC *Mission Impact* (deployer tree), folded with *Safety Impact* to *Human Impact*.
    human_impact: Mapped[short_str]
    coordinator_decision: Mapped[short_str]
    deployer_decision: Mapped[short_str]
    #: Inputs an analyst overrode: ``{"exploitation": "active", ...}``, with the reason.
    overrides: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    override_reason: Mapped[str | None] = mapped_column(String(1000))
    first_seen: Mapped[datetime]
    last_matched: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("asset_id", "vulnerability_id"),
        Index("ix_exposure_org_state", "organisation_id", "state"),
    )


class Measure(Base):
    """The protective measure an exposure calls for, with its due date from the profile's
    policy and its state."""

    __tablename__ = "measure"
    __access__ = Ownership("measure", organisation="organisation_id")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    exposure_id: Mapped[int] = mapped_column(
        ForeignKey("exposure.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind, 16))
    #: The deployer decision the due date came from (``immediate``, ``out_of_cycle``, …).
    priority: Mapped[short_str]
    state: Mapped[MeasureState] = mapped_column(enum_column(MeasureState, 16))
    #: Whether its exposure stands (active): kept by matching, so that the register reads
    #: this table alone.
    standing: Mapped[bool] = mapped_column(Boolean, default=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    #: Where the due date came from: ``kev`` or ``policy:<decision>``.
    due_basis: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(2000))
    accepted_reason: Mapped[str | None] = mapped_column(String(1000))
    accepted_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_measure_org_state", "organisation_id", "state"),
        # Covers the register's one query: open, standing measures by organisation/priority.
        Index("ix_measure_register", "state", "standing", "organisation_id", "priority", "due_on"),
    )


class RiskSnapshot(Base):
    """One organisation's open measures on one day, by priority, and how many were overdue:
    the register's trend is read from these rows."""

    __tablename__ = "risk_snapshot"
    __access__ = Ownership("risk_snapshot", organisation="organisation_id")

    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date)
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    sector: Mapped[short_str]
    province: Mapped[str | None] = mapped_column(String(64))
    immediate: Mapped[int] = mapped_column(Integer, default=0)
    out_of_cycle: Mapped[int] = mapped_column(Integer, default=0)
    scheduled: Mapped[int] = mapped_column(Integer, default=0)
    defer: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("organisation_id", "day"),
        Index("ix_risk_snapshot_day", "day"),
    )
