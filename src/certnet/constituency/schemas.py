"""API and service shapes of the constituency: ``XCreate``, ``XUpdate``, ``XRead``, ``XList``."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from certnet.constituency.models import ContactRole, ResourceKind
from certnet.core.tlp import Tlp

_FINGERPRINT = re.compile(r"^[0-9A-F]{40}$|^[0-9A-F]{64}$")


def _fingerprint(value: str | None) -> str | None:
    if value is None:
        return None
    compact = re.sub(r"\s+", "", value).upper()
    if not _FINGERPRINT.match(compact):
        raise ValueError("must be an OpenPGP fingerprint: 40 (v4) or 64 (v5/v6) hex digits")
    return compact


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
ShortName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]*$")]
Fingerprint = Annotated[str | None, AfterValidator(_fingerprint)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CertCreate(_In):
    name: Name
    short_name: ShortName = Field(description="Lower-case handle, e.g. 'pkcert' or 'sbp-cert'")
    tier: Code
    parent_id: int | None = None
    sector: Code | None = None
    province: Code | None = None
    regulator: str | None = Field(default=None, max_length=200)
    notified_by: str | None = Field(default=None, max_length=200)
    notified_on: date | None = None
    council_recommendation_ref: str | None = Field(default=None, max_length=200)
    operating_hours: str = Field(default="24/7", max_length=200)
    pgp_fingerprint: Fingerprint = None


class CertUpdate(_In):
    name: Name | None = None
    parent_id: int | None = None
    regulator: str | None = Field(default=None, max_length=200)
    notified_by: str | None = Field(default=None, max_length=200)
    notified_on: date | None = None
    council_recommendation_ref: str | None = Field(default=None, max_length=200)
    operating_hours: str | None = Field(default=None, max_length=200)
    pgp_fingerprint: Fingerprint = None


class CertRead(_Out):
    id: int
    name: str
    short_name: str
    tier: str
    parent_id: int | None
    sector: str | None
    province: str | None
    regulator: str | None
    notified_by: str | None
    notified_on: date | None
    council_recommendation_ref: str | None
    operating_hours: str
    pgp_fingerprint: str | None
    created_at: datetime
    updated_at: datetime


class CiiDesignation(_In):
    ministry: str = Field(min_length=2, max_length=200)
    grade: str = Field(min_length=1, max_length=32)
    designated_on: date
    next_review: date | None = Field(
        default=None, description="Defaults to the profile's review interval after designation"
    )


class OrganisationCreate(_In):
    name: Name
    cert_id: int
    sector: Code
    province: Code | None = None
    cii: CiiDesignation | None = None


class OrganisationUpdate(_In):
    name: Name | None = None
    cert_id: int | None = None
    sector: Code | None = None
    province: Code | None = None
    cii: CiiDesignation | None = None
    remove_cii: bool = False


class OrganisationRead(_Out):
    id: int
    name: str
    cert_id: int
    sector: str
    province: str | None
    cii: bool
    cii_ministry: str | None
    cii_grade: str | None
    cii_designated_on: date | None
    cii_next_review: date | None
    created_at: datetime
    updated_at: datetime


class Recipients(_In):
    """Named recipients of a TLP:RED object."""

    user_ids: list[int] = Field(default_factory=list)
    cert_ids: list[int] = Field(default_factory=list)
    organisation_ids: list[int] = Field(default_factory=list)


class ContactCreate(_In):
    name: Name
    role: ContactRole
    email: EmailStr
    phone: str | None = Field(default=None, max_length=64, pattern=r"^\+?[0-9 ()./-]{3,64}$")
    valid_until: date | None = None
    tlp: Tlp = Tlp.AMBER
    recipients: Recipients | None = None

    @model_validator(mode="after")
    def _red_needs_recipients(self) -> ContactCreate:
        if self.recipients and self.tlp is not Tlp.RED:
            raise ValueError("recipients are only named for TLP:RED")
        return self


class ContactUpdate(_In):
    name: Name | None = None
    role: ContactRole | None = None
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=64, pattern=r"^\+?[0-9 ()./-]{3,64}$")
    valid_until: date | None = None
    tlp: Tlp | None = None


class ContactRead(_Out):
    id: int
    owner_cert_id: int
    organisation_id: int | None
    name: str
    role: ContactRole
    email: str
    phone: str | None
    valid_until: date | None
    tlp: Tlp
    expired: bool = False


class ResourceCreate(_In):
    value: str = Field(min_length=1, max_length=255, examples=["203.0.113.0/24", "AS64500"])
    kind: ResourceKind | None = Field(default=None, description="Guessed from the value if unset")


class ResourceRead(_Out):
    id: int
    organisation_id: int
    kind: ResourceKind
    value: str
    prefix_length: int | None
    created_at: datetime


class CertBrief(_Out):
    id: int
    name: str
    short_name: str
    tier: str


class OrganisationBrief(_Out):
    id: int
    name: str
    sector: str
    province: str | None
    cii: bool
    cii_grade: str | None


class Responsibility(BaseModel):
    """Who answers for an address, ASN or domain: the most specific claim wins."""

    query: str
    kind: ResourceKind
    matched: str = Field(description="The claim that matched, e.g. the most specific prefix")
    organisation: OrganisationBrief
    cert: CertBrief
    escalation_chain: list[CertBrief] = Field(
        description="The owning CERT first, then each CERT above it up to the top"
    )
