"""API and CLI shapes of the feed storage: runs and their summaries, events, quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from certnet.core.tlp import Tlp
from certnet.feeds.models import RunState


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FeedRunRead(_Out):
    id: int
    owner_cert_id: int
    source: str
    report_type: str
    filename: str | None
    sha256: str
    state: RunState
    started_at: datetime
    finished_at: datetime | None
    run_by: str
    rows: int = Field(description="Input rows read: stored + duplicates + quarantined")
    stored: int = Field(description="Rows stored as new events")
    duplicates: int = Field(description="Rows that were sightings of an event already stored")
    quarantined: int = Field(description="Rows refused, each kept with its reason")
    unowned: int = Field(description="Accepted rows whose address no organisation claims")
    accounted: bool = Field(description="rows = stored + duplicates + quarantined was checked")


class FeedRunSummary(FeedRunRead):
    """What an ingestion did. ``already_ingested``: this exact input (same SHA-256 and report
    type) was ingested before, nothing was written, and the figures are that run's."""

    already_ingested: bool = False
    elapsed_seconds: float = 0.0
    rows_per_second: float = 0.0


class EventRead(_Out):
    id: int
    report_type: str
    feed_run_id: int
    last_feed_run_id: int
    time_source: datetime | None
    source_ip: str | None
    source_port: int | None
    source_asn: int | None
    source_fqdn: str | None
    protocol_transport: str | None
    protocol_application: str | None
    classification_taxonomy: str | None
    classification_type: str | None
    classification_identifier: str | None
    severity: str | None
    organisation_id: int | None
    owner_cert_id: int
    sector: str | None
    cii: bool
    fingerprint: str
    first_seen: datetime
    last_seen: datetime
    count: int
    tlp: Tlp
    data: dict[str, Any]


class QuarantinedRowRead(_Out):
    id: int
    feed_run_id: int
    line: int
    reason: str
    field: str | None
    raw: str
