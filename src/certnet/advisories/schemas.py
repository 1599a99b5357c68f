"""API, CLI and form shapes of the advisories domain."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from packageurl import PackageURL
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from certnet.advisories.models import AdvisoryCategory, AdvisoryStatus, AnswerStatus
from certnet.core.tlp import Tlp

CVE_PATTERN = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
# CPE 2.3 formatted string: the prefix and 11 further components (the CSAF schema's own check).
CPE_PATTERN = re.compile(r"^cpe:2\.3:[aho\*\-](:[^:]+){10}$")
VERS_PATTERN = re.compile(r"^vers:[a-z\.\-\+][a-z0-9\.\-\+]*/.+")


class ProductStatus(StrEnum):
    """Where a product stands for the advisory's vulnerabilities (CSAF product status)."""

    AFFECTED = "known_affected"
    NOT_AFFECTED = "known_not_affected"
    UNDER_INVESTIGATION = "under_investigation"


class Justification(StrEnum):
    """CSAF 2.0 flag labels: why a product is not affected (VEX)."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    CANNOT_BE_CONTROLLED = "vulnerable_code_cannot_be_controlled_by_adversary"
    NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    INLINE_MITIGATIONS = "inline_mitigations_already_exist"


class NoteCategory(StrEnum):
    """CSAF note categories."""

    DESCRIPTION = "description"
    DETAILS = "details"
    FAQ = "faq"
    GENERAL = "general"
    LEGAL_DISCLAIMER = "legal_disclaimer"
    OTHER = "other"
    SUMMARY = "summary"


class RemediationCategory(StrEnum):
    """CSAF remediation categories."""

    VENDOR_FIX = "vendor_fix"
    MITIGATION = "mitigation"
    WORKAROUND = "workaround"
    NONE_AVAILABLE = "none_available"
    NO_FIX_PLANNED = "no_fix_planned"


class ProductIn(BaseModel):
    """A product the advisory is about: vendor and name, CPE 2.3 and/or purl, the affected
    versions as a ``vers`` range, and the version that fixes it."""

    model_config = ConfigDict(extra="forbid")

    vendor: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    versions: str | None = Field(
        default=None, description="Affected versions, e.g. vers:semver/>=2.0.0|<2.4.1"
    )
    fixed_version: str | None = Field(default=None, max_length=100)
    cpe: str | None = Field(default=None, max_length=500)
    purl: str | None = Field(default=None, max_length=500)
    status: ProductStatus = ProductStatus.AFFECTED
    justification: Justification | None = None

    @field_validator("versions", "fixed_version", "cpe", "purl", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("versions")
    @classmethod
    def _vers(cls, value: str | None) -> str | None:
        if value is not None and not VERS_PATTERN.match(value.strip()):
            raise ValueError("give a vers range, e.g. vers:semver/>=2.0.0|<2.4.1")
        return value.strip() if value else value

    @field_validator("cpe")
    @classmethod
    def _cpe(cls, value: str | None) -> str | None:
        if value is not None and not CPE_PATTERN.match(value.strip()):
            raise ValueError("not a CPE 2.3 formatted string (cpe:2.3:part:vendor:product:…)")
        return value.strip() if value else value

    @field_validator("purl")
    @classmethod
    def _purl(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            PackageURL.from_string(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a package URL: {exc}") from None
        return value.strip()

    @model_validator(mode="after")
    def _justified(self) -> ProductIn:
        if self.status is ProductStatus.NOT_AFFECTED and self.justification is None:
            raise ValueError("a product not affected needs a justification")
        if self.status is not ProductStatus.NOT_AFFECTED and self.justification is not None:
            raise ValueError("only a product not affected takes a justification")
        return self


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: NoteCategory = NoteCategory.DETAILS
    title: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=20000)


class RemediationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: RemediationCategory = RemediationCategory.VENDOR_FIX
    details: str = Field(min_length=1, max_length=5000)
    url: str | None = Field(default=None, max_length=1000)


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=1000, pattern=r"^https?://\S+$")
    summary: str = Field(min_length=1, max_length=500)


def _cves(value: list[str]) -> list[str]:
    seen: list[str] = []
    for position, cve in enumerate(value):
        cve = cve.strip().upper()
        if not CVE_PATTERN.match(cve):
            raise ValueError(f"item {position}: {cve!r} is not a CVE id (CVE-YYYY-NNNN)")
        if cve in seen:
            raise ValueError(f"item {position}: {cve} is listed twice")
        seen.append(cve)
    return seen


class AdvisoryCreate(BaseModel):
    """A new advisory (a draft). The publisher is the author's CERT unless named."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=200)
    summary: str = Field(min_length=1, max_length=20000)
    tlp: Tlp = Tlp.AMBER
    category: AdvisoryCategory = AdvisoryCategory.SECURITY_ADVISORY
    cves: list[str] = Field(default_factory=list, max_length=200)
    cvss_v3_vector: str | None = Field(default=None, max_length=200)
    products: list[ProductIn] = Field(default_factory=list, max_length=500)
    notes: list[NoteIn] = Field(default_factory=list, max_length=50)
    remediations: list[RemediationIn] = Field(default_factory=list, max_length=50)
    references: list[ReferenceIn] = Field(default_factory=list, max_length=100)
    answer_deadline: datetime | None = None
    publisher_cert_id: int | None = None

    @field_validator("cves")
    @classmethod
    def _valid_cves(cls, value: list[str]) -> list[str]:
        return _cves(value)

    @field_validator("tlp", mode="before")
    @classmethod
    def _tlp(cls, value: Any) -> Any:
        return Tlp.parse(value) if isinstance(value, str) else value

    @field_validator("cvss_v3_vector", mode="before")
    @classmethod
    def _blank_vector(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class AdvisoryUpdate(BaseModel):
    """Changes to an advisory; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=3, max_length=200)
    summary: str | None = Field(default=None, min_length=1, max_length=20000)
    tlp: Tlp | None = None
    category: AdvisoryCategory | None = None
    cves: list[str] | None = Field(default=None, max_length=200)
    cvss_v3_vector: str | None = Field(default=None, max_length=200)
    products: list[ProductIn] | None = Field(default=None, max_length=500)
    notes: list[NoteIn] | None = Field(default=None, max_length=50)
    remediations: list[RemediationIn] | None = Field(default=None, max_length=50)
    references: list[ReferenceIn] | None = Field(default=None, max_length=100)
    answer_deadline: datetime | None = None

    @field_validator("cves")
    @classmethod
    def _valid_cves(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _cves(value)

    @field_validator("tlp", mode="before")
    @classmethod
    def _tlp(cls, value: Any) -> Any:
        return Tlp.parse(value) if isinstance(value, str) else value


class PublishRequest(BaseModel):
    """Publish the advisory's current content as its next revision."""

    model_config = ConfigDict(extra="forbid")

    status: AdvisoryStatus = AdvisoryStatus.FINAL
    summary: str = Field(default="Initial version.", min_length=1, max_length=2000)

    @field_validator("status")
    @classmethod
    def _not_draft(cls, value: AdvisoryStatus) -> AdvisoryStatus:
        if value is AdvisoryStatus.DRAFT:
            raise ValueError("publish as interim or final")
        return value


class AnswerIn(BaseModel):
    """An organisation's answer to an advisory it received."""

    model_config = ConfigDict(extra="forbid")

    status: AnswerStatus
    note: str = Field(default="", max_length=2000)
    organisation_id: int | None = Field(
        default=None, description="Answering for this organisation (CERT staff only)"
    )


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AdvisoryRead(_Out):
    id: int
    owner_cert_id: int
    tracking_id: str
    category: AdvisoryCategory
    title: str
    summary: str
    tlp: Tlp
    cves: list[str]
    cvss_v3_vector: str | None
    products: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    remediations: list[dict[str, Any]]
    references: list[dict[str, Any]]
    status: AdvisoryStatus
    version: int
    pending_changes: bool
    answer_deadline: datetime | None
    initial_release_at: datetime | None
    current_release_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class RevisionRead(_Out):
    id: int
    advisory_id: int
    number: int
    status: AdvisoryStatus
    summary: str
    published_at: datetime
    published_by: str
    sha256: str


class DisseminationRead(_Out):
    id: int
    advisory_id: int
    version: int
    organisation_id: int
    owner_cert_id: int
    publisher_cert_id: int
    tracking_id: str
    title: str
    tlp: Tlp
    recipients: list[str]
    outbox_message_id: int | None
    matched_assets: list[dict[str, Any]]
    sent_at: datetime
    sent_by: str


class PublishResult(BaseModel):
    """What publishing did: the revision, and the organisations it went to."""

    advisory: AdvisoryRead
    revision: RevisionRead
    disseminations: list[DisseminationRead]


class AnswerRead(_Out):
    id: int
    advisory_id: int
    organisation_id: int
    status: AnswerStatus
    note: str
    version: int
    answered_at: datetime
    answered_by: str


class AnswerRow(BaseModel):
    """One targeted organisation on the CERT's answer board."""

    organisation_id: int
    organisation_name: str
    cert_id: int
    sent_at: datetime
    version: int
    recipients: list[str]
    status: AnswerStatus | None
    note: str
    answered_at: datetime | None
    overdue: bool


class AnswerBoard(BaseModel):
    """Who answered what, and who has not answered by the deadline."""

    advisory_id: int
    tracking_id: str
    answer_deadline: datetime | None
    rows: list[AnswerRow]
    counts: dict[str, int]
    unanswered_after_deadline: list[int]
