"""Shapes of the incidents domain's input and output (API, CLI, console, e-mail intake)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from certnet.core.tlp import Tlp
from certnet.incidents.models import (
    Channel,
    IncidentStatus,
    LinkKind,
    ObservableKind,
    Pap,
    Severity,
    TaskStatus,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- input ---------------------------------------------------------------------------------


class ObservableIn(_In):
    """An observable as reported; ``kind`` is told from the value when omitted."""

    value: str = Field(min_length=1, max_length=2048)
    kind: ObservableKind | None = None


class AttachmentIn(_In):
    """A file sent with a report (kept as evidence). JSON carries the content in base64."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=128)
    content_base64: str = Field(description="The file's bytes, base64-encoded")
    description: str = Field(default="", max_length=2000)

    @classmethod
    def of(
        cls, filename: str, content_type: str, content: bytes, description: str = ""
    ) -> AttachmentIn:
        """An attachment from raw bytes (the e-mail intake, the CLI)."""
        return cls(
            filename=filename,
            content_type=content_type,
            content_base64=base64.b64encode(content).decode("ascii"),
            description=description,
        )

    def content(self) -> bytes:
        """The decoded bytes; a ValueError names the problem."""
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("content_base64 is not valid base64") from exc


class ImpactIn(_In):
    """What the incident affects."""

    services_affected: list[str] = Field(default_factory=list, max_length=100)
    users_affected: int | None = Field(default=None, ge=0)
    data_affected: str | None = Field(
        default=None,
        description="none, personal, confidential, credentials, financial, health, other",
    )
    cross_border: bool = False
    financial_loss: int | None = Field(default=None, ge=0, description="Estimate, whole units")
    harm_to_others: bool = False
    cii_involved: bool = False
    sectors_affected: list[str] = Field(default_factory=list, description="Profile sector ids")
    provinces_affected: list[str] = Field(default_factory=list, description="Profile region ids")


class IncidentReport(_In):
    """A report of an incident, from the portal, the API, the CLI or an e-mail.

    ``organisation_id`` is the reporting organisation: a constituent's user may leave it out
    (their own organisation is taken); CERT staff and the e-mail intake name it."""

    organisation_id: int | None = None
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_email: str | None = Field(default=None, max_length=254)
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=50_000)
    became_aware_at: datetime
    started_at: datetime | None = None
    rsit_class: str = Field(description="RSIT class, e.g. intrusions")
    rsit_type: str = Field(description="RSIT type of that class, e.g. system-compromise")
    certin_type: str | None = Field(
        default=None, description="One of the CERT-In 20 types; mapped from RSIT when omitted"
    )
    severity: Severity = Severity.MEDIUM
    root_cause: str | None = Field(default=None, description="NIS2 root-cause category")
    outlook: str | None = Field(default=None, description="NIS2 outlook")
    impact: ImpactIn = Field(default_factory=ImpactIn)
    tlp: str = Field(default="AMBER", description="TLP 2.0 label")
    pap: Pap = Pap.AMBER
    observables: list[ObservableIn] = Field(default_factory=list, max_length=10_000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)

    @field_validator("tlp")
    @classmethod
    def _tlp(cls, value: str) -> str:
        return Tlp.parse(value).value


class TransitionIn(_In):
    to: IncidentStatus
    reason: str = Field(default="", max_length=2000)


class AssignIn(_In):
    user_id: int | None = Field(description="The analyst; null to unassign")


class EscalateIn(_In):
    to_cert_id: int | None = Field(
        default=None, description="A CERT above the handler; its parent when omitted"
    )
    reason: str = Field(min_length=3, max_length=2000)


class DelegateIn(_In):
    to_cert_id: int
    reason: str = Field(min_length=3, max_length=2000)


class StageReportIn(_In):
    report: str = Field(min_length=1, max_length=50_000)


class CommentIn(_In):
    body: str = Field(min_length=1, max_length=20_000)
    internal: bool = False


class TaskIn(_In):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    assignee_user_id: int | None = None
    due_at: datetime | None = None


class TaskUpdate(_In):
    status: TaskStatus | None = None
    assignee_user_id: int | None = None


class MergeIn(_In):
    into_id: int
    reason: str = Field(default="", max_length=2000)


class LinkIn(_In):
    other_incident_id: int
    reason: str = Field(default="", max_length=2000)


class WebhookIn(_In):
    url: str = Field(min_length=8, max_length=2000)
    secret: str = Field(min_length=16, max_length=200)
    events: list[str] = Field(default_factory=lambda: ["*"])


class IncidentFilter(_In):
    """Filters of the CERT queue (and of the portal's list of my organisation's incidents)."""

    status: list[IncidentStatus] = Field(default_factory=list)
    severity: list[Severity] = Field(default_factory=list)
    tlp: list[str] = Field(default_factory=list, description="TLP labels, e.g. AMBER, RED")
    rsit_class: str | None = None
    sector: str | None = None
    organisation_id: int | None = None
    handling_cert_id: int | None = None
    assignee_user_id: int | None = None
    deadline: str | None = Field(default=None, description="overdue, due_soon, on_track, none")
    open_only: bool = False
    q: str | None = Field(default=None, max_length=200, description="Words in the title")

    @field_validator("tlp")
    @classmethod
    def _tlps(cls, value: list[str]) -> list[str]:
        return [Tlp.parse(v).value for v in value]


# --- output --------------------------------------------------------------------------------


class StageRead(_Out):
    clock_id: str
    name: str
    due_at: datetime
    submitted_at: datetime | None
    late: bool
    state: str = Field(description="submitted, late (submitted late), overdue, due_soon, pending")
    basis: str | None = None
    source: str | None = None


class ObservableRead(_Out):
    id: int
    kind: ObservableKind
    value: str


class IncidentRead(_Out):
    id: int
    reference: str
    title: str
    description: str
    status: IncidentStatus
    severity: Severity
    rsit_class: str
    rsit_type: str
    certin_type: str | None
    root_cause: str | None
    outlook: str | None
    tlp: str
    pap: Pap
    channel: Channel
    organisation_id: int
    owner_cert_id: int
    handling_cert_id: int
    sector: str
    reporter_name: str | None
    reporter_email: str | None
    became_aware_at: datetime
    started_at: datetime | None
    reported_at: datetime
    services_affected: list[str]
    users_affected: int | None
    data_affected: str | None
    cross_border: bool
    financial_loss: int | None
    harm_to_others: bool
    cii_involved: bool
    sectors_affected: list[str]
    provinces_affected: list[str]
    assignee_user_id: int | None
    next_due_at: datetime | None
    merged_into_id: int | None
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class IncidentSummary(_Out):
    """A row of the queue."""

    id: int
    reference: str
    title: str
    status: IncidentStatus
    severity: Severity
    rsit_class: str
    rsit_type: str
    tlp: str
    organisation_id: int
    handling_cert_id: int
    sector: str
    reported_at: datetime
    next_due_at: datetime | None
    assignee_user_id: int | None


class QueueCounts(BaseModel):
    """Counts of the filtered queue per status and per deadline state."""

    total: int
    by_status: dict[str, int]
    by_deadline: dict[str, int]


class TimelineRead(_Out):
    id: int
    at: datetime
    actor: str
    kind: str
    summary: str
    data: dict[str, Any]
    internal: bool


class CommentRead(_Out):
    id: int
    author: str
    body: str
    internal: bool
    created_at: datetime


class TaskRead(_Out):
    id: int
    title: str
    description: str
    status: TaskStatus
    playbook: str | None
    assignee_user_id: int | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None


class EvidenceRead(_Out):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str
    uploaded_by: str
    uploaded_at: datetime


class CustodyRead(_Out):
    at: datetime
    actor: str
    action: str
    sha256_ok: bool | None


class LinkRead(BaseModel):
    """A link seen from one incident: the other incident, and what of it you may see."""

    id: int
    kind: LinkKind
    other_incident_id: int
    other_reference: str | None = Field(description="None when its TLP hides it from you")
    other_title: str | None
    other_cert_id: int
    observable_kind: str | None
    reason: str
    created_at: datetime


class CorrelationRead(BaseModel):
    """A correlation told to a CERT above both incidents: that it exists, and only what TLP
    allows of each side."""

    id: int
    owner_cert_id: int
    observable_kind: str | None
    created_at: datetime
    incidents: list[CorrelatedSide]


class CorrelatedSide(BaseModel):
    incident_id: int
    cert_id: int
    visible: bool
    reference: str | None = None
    title: str | None = None
    sector: str | None = None


class CorrelationHit(BaseModel):
    """An incident carrying an observable you looked up (only incidents you may see)."""

    incident_id: int
    reference: str
    title: str
    handling_cert_id: int
    kind: ObservableKind
    value: str


class Metrics(BaseModel):
    """Handling times and clocks met, over the incidents you may see (median hours)."""

    incidents: int
    by_status: dict[str, int]
    median_hours_to_acknowledge: float | None
    median_hours_to_contain: float | None
    median_hours_to_resolve: float | None
    stages_due: int
    stages_on_time: int
    stages_late: int
    stages_overdue: int
    on_time_ratio: float | None
    groups: list[MetricsGroup] = Field(default_factory=list)


class MetricsGroup(BaseModel):
    """The same figures for one CERT or one sector."""

    key: str
    incidents: int
    median_hours_to_acknowledge: float | None
    median_hours_to_contain: float | None
    median_hours_to_resolve: float | None
    stages_on_time: int
    stages_late: int


class DailyCount(BaseModel):
    """Incidents reported per day and per key (RSIT class or sector), for the dashboard."""

    day: str
    key: str
    count: int


class WebhookRead(_Out):
    id: int
    owner_cert_id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class ReminderReport(BaseModel):
    """What one reminder run did."""

    reminders: int
    overdue_flags: int


class WebhookDeliveryReport(BaseModel):
    sent: int
    failed: int
    retrying: int


CorrelationRead.model_rebuild()
Metrics.model_rebuild()
