"""The shape of a profile file (TOML under ``profiles/data``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Basis(StrEnum):
    """Where a value comes from: a published legal text, or a policy the operator sets."""

    LAW = "law"
    POLICY = "policy"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """A kind of CERT, and the tiers it may sit under on the reporting line."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str = ""
    parents: list[str] = Field(default_factory=list, description="Tiers allowed as parent")
    max_count: int | None = Field(default=None, description="At most this many CERTs")
    requires_sector: bool = False
    requires_province: bool = False


class Sector(_Strict):
    """A sector with its regulator (whose sectoral CERT serves it)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    regulator: str | None = None


class Region(_Strict):
    """A province, state or territory with a CERT of its own."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str


class Clock(_Strict):
    """A reporting deadline, counted from the moment the organisation became aware."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    hours: int = Field(gt=0)
    basis: Basis
    source: str = Field(description="The provision, or who sets the policy")


class CiiPolicy(_Strict):
    """How critical information infrastructure is designated and reviewed."""

    designated_by: str
    review_interval_months: int = Field(gt=0)
    review_basis: Basis
    grades: list[str]
    grades_basis: Basis


class Defaults(_Strict):
    tlp: str = "AMBER"
    timezone: str = "UTC"
    language: str = "en"


class Profile(_Strict):
    """A national scheme, loaded from a profile file."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2, or EU")
    legal_basis: list[str]
    tiers: list[Tier]
    reporting_line: str = Field(description="The reporting line in words, for people")
    sectors: list[Sector]
    regions: list[Region] = Field(default_factory=list)
    clocks: list[Clock]
    cii: CiiPolicy
    defaults: Defaults = Defaults()

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        tier_ids = [t.id for t in self.tiers]
        if len(set(tier_ids)) != len(tier_ids):
            raise ValueError("tier ids must be unique")
        for tier in self.tiers:
            unknown = set(tier.parents) - set(tier_ids)
            if unknown:
                raise ValueError(f"tier {tier.id} names unknown parents {sorted(unknown)}")
        if not any(not t.parents for t in self.tiers):
            raise ValueError("one tier must be the top of the reporting line (no parents)")
        for group, items in (
            ("sector", self.sectors),
            ("region", self.regions),
            ("clock", self.clocks),
        ):
            ids = [i.id for i in items]
            if len(set(ids)) != len(ids):
                raise ValueError(f"{group} ids must be unique")
        return self

    def tier(self, tier_id: str) -> Tier | None:
        return next((t for t in self.tiers if t.id == tier_id), None)

    def sector(self, sector_id: str) -> Sector | None:
        return next((s for s in self.sectors if s.id == sector_id), None)

    def region(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)
