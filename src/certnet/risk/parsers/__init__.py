"""Parsers of vulnerability intelligence files: each turns a file into records certnet can
upsert (:class:`ParsedVulnerability`) and rejections naming the record and the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certnet.risk.models import ProductStatus


@dataclass(frozen=True)
class Rejection:
    """One record that was not imported: which, the field at fault, and why."""

    record: str
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"record": self.record, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class ParsedStatement:
    """What a source says about one product."""

    product_key: str
    status: ProductStatus
    ranges: list[dict[str, Any]]
    vendor: str | None = None
    product: str | None = None
    justification: str | None = None
    product_ref: str | None = None


@dataclass
class ParsedVulnerability:
    """One vulnerability as a source describes it: the columns it sets and, when the source
    speaks about products, its statements (which replace that source's earlier ones)."""

    identifier: str
    values: dict[str, Any] = field(default_factory=dict)
    statements: list[ParsedStatement] | None = None
    #: The source's own timestamp: an older record never overwrites a newer one.
    record_updated_at: datetime | None = None


class FileRejected(ValueError):
    """The whole file is unusable (wrong shape); the message names the field."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason
