"""API shapes of the risk domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from certnet.risk.models import (
    Criticality,
    ExposureState,
    InternetExposure,
    MeasureKind,
    MeasureState,
)


class AssetCreate(BaseModel):
    """An asset to add: a CPE 2.3 name and/or a purl, and the rest."""

    organisation_id: int
    name: str = Field(min_length=1, max_length=200)
    cpe: str | None = Field(default=None, description="CPE 2.3 formatted string")
    purl: str | None = Field(default=None, description="package URL")
    version: str | None = Field(default=None, max_length=128)
    exposure: InternetExposure = InternetExposure.CONTROLLED
    criticality: Criticality = Criticality.MEDIUM
    owner_contact: str | None = Field(default=None, max_length=254)


class AssetUpdate(BaseModel):
    """Fields to change on an asset (only those given)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    cpe: str | None = None
    purl: str | None = None
    version: str | None = Field(default=None, max_length=128)
    exposure: InternetExposure | None = None
    criticality: Criticality | None = None
    owner_contact: str | None = Field(default=None, max_length=254)


class AssetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    owner_cert_id: int
    name: str
    cpe: str | None
    purl: str | None
    version: str | None
    exposure: InternetExposure
    criticality: Criticality
    owner_contact: str | None
    source: str
    updated_at: datetime


class AssetImportRead(BaseModel):
    format: str
    created: int
    updated: int
    unchanged: int
    removed: int
    exposures_changed: int


class RejectionRead(BaseModel):
    record: str
    field: str
    reason: str


class IntelImportRead(BaseModel):
    """What an intelligence import did."""

    kind: str
    imported: int
    updated: int
    unchanged: int
    rejected: int
    rejections: list[RejectionRead]
    exposures_changed: int
    import_id: int | None


class VulnerabilityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    identifier: str
    title: str | None
    state: str
    cvss_version: str | None
    cvss_vector: str | None
    cvss_score: float | None
    cvss_severity: str | None
    epss: float | None
    epss_percentile: float | None
    kev: bool
    kev_due_date: date | None
    exploited: bool
    poc: bool
    automatable: str | None
    technical_impact: str | None
    sources: str


class ExposureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    asset_id: int
    vulnerability_id: int
    state: ExposureState
    suppressed_by: str | None
    exploitation: str
    automatable: str
    technical_impact: str
    system_exposure: str
    mission_wellbeing: str
    human_impact: str
    coordinator_decision: str
    deployer_decision: str
    overrides: dict[str, str]
    override_reason: str | None
    first_seen: datetime


class ExposureOverride(BaseModel):
    """An analyst's SSVC inputs, with the reason (an empty ``overrides`` clears them)."""

    overrides: dict[str, str]
    reason: str = Field(min_length=1, max_length=1000)


class MeasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    exposure_id: int
    kind: MeasureKind
    priority: str
    state: MeasureState
    due_on: date | None
    due_basis: str | None
    note: str | None
    accepted_reason: str | None
    accepted_until: date | None
    updated_at: datetime


class MeasureChange(BaseModel):
    """A move of a measure, or a change of its kind or note."""

    state: MeasureState | None = None
    kind: MeasureKind | None = None
    note: str | None = Field(default=None, max_length=2000)
    accepted_reason: str | None = Field(default=None, max_length=1000)
    accepted_until: date | None = None


class RegisterRead(BaseModel):
    level: str
    on: date
    total: dict[str, Any]
    rows: list[dict[str, Any]]


class TrendPointRead(BaseModel):
    day: date
    immediate: int
    out_of_cycle: int
    scheduled: int
    defer: int
    overdue: int


class ProductRefIn(BaseModel):
    cpe: str | None = None
    purl: str | None = None
    versions: str | None = Field(default=None, description="vers range, e.g. vers:semver/<2.1")


class AffectedOrganisationRead(BaseModel):
    organisation_id: int
    organisation_name: str
    cert_id: int
    asset_ids: list[int]
