"""API and CLI shapes of the findings domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from certnet.findings.models import FindingState, Interval, Language, MailFormat


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FindingRead(_Out):
    id: int
    organisation_id: int
    owner_cert_id: int
    sector: str | None
    cii: bool
    source: str
    report_type: str
    issue: str = Field(description="classification.identifier, or the report type")
    classification_taxonomy: str | None
    classification_type: str | None
    host: str
    port: int | None
    state: FindingState
    first_seen: datetime
    last_seen: datetime
    event_count: int
    sightings: int = Field(description="Reports (feed runs) that showed this finding")
    last_event_id: int | None
    last_run_id: int | None
    opened_at: datetime
    notified_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    fixed_at: datetime | None
    fixed_by: str | None
    fixed_note: str | None
    verified_at: datetime | None
    verified_after_claim: bool | None = Field(
        description="On verification: whether the organisation had said fixed first"
    )
    reopened_at: datetime | None
    reopen_count: int
    last_notification_id: int | None


class HistoryRead(_Out):
    id: int
    finding_id: int
    at: datetime
    from_state: FindingState | None
    to_state: FindingState
    actor: str
    note: str | None
    feed_run_id: int | None
    notification_id: int | None


class FindingDetail(FindingRead):
    history: list[HistoryRead]


class FindingAnswer(BaseModel):
    """A constituent's or CERT's answer on a finding."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class SuppressionCreate(BaseModel):
    """A suppression rule: at least one of organisation, report type, network; a reason."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: int | None = None
    report_type: str | None = Field(default=None, max_length=64)
    network: str | None = Field(default=None, max_length=64, description="CIDR, e.g. 192.0.2.0/24")
    reason: str = Field(min_length=3, max_length=2000)
    expires_at: datetime | None = None


class SuppressionRead(_Out):
    id: int
    owner_cert_id: int
    organisation_id: int | None
    report_type: str | None
    network: str | None
    reason: str
    expires_at: datetime | None
    created_at: datetime
    created_by: str
    lifted_at: datetime | None
    lifted_by: str | None


class PreferenceUpdate(BaseModel):
    """A contact's preferences for findings notifications."""

    model_config = ConfigDict(extra="forbid")

    language: Language = Language.ENGLISH
    mail_format: MailFormat = MailFormat.HTML
    attach_csv: bool = True
    opted_out: list[str] = Field(default_factory=list, description="Report types not wanted")


class PreferenceRead(_Out):
    contact_id: int
    organisation_id: int
    language: Language
    mail_format: MailFormat
    attach_csv: bool
    opted_out: list[str]


class IntervalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval: Interval


class IntervalRead(BaseModel):
    organisation_id: int
    interval: Interval


class NotificationRead(_Out):
    id: int
    ticket: str
    organisation_id: int
    owner_cert_id: int
    report_type: str
    interval: Interval
    period: str
    created_at: datetime
    finding_count: int
    recipients: list[dict[str, str]]
    message_ids: list[int]


class NotifyReport(BaseModel):
    """What one pass of notify_due did."""

    notifications: int = 0
    messages: int = 0
    findings: int = 0
    suppressed: int = 0
    waiting: int = Field(default=0, description="Findings whose organisation's period is spent")
    no_recipient: int = Field(default=0, description="Findings of organisations nobody to tell")
    tickets: list[str] = Field(default_factory=list)
