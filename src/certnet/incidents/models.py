"""Tables of the incidents domain.

An incident is owned by the CERT of the organisation that reported it (``owner_cert_id``:
tenancy) and handled by one CERT at a time (``handling_cert_id``): the owner, a CERT above it
after an escalation, or one below it after a delegation. Both CERTs (and those above them) see
it, subject to its TLP marking. Everything else here hangs off one incident and is read only
through it: reading the incident goes through the access policy first.

Correlation index: one row per (observable, incident) in ``incident_observable``, keyed by a
64-bit digest of the normalised value, so that it grows linearly with the observables and a
lookup is one index probe (no pairwise correlation table, which grows with the square).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.core.tlp import Tlp
from certnet.db.base import Base, enum_column, intpk, name_str, short_str


class IncidentStatus(StrEnum):
    """Where an incident is in its handling."""

    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"

    @property
    def is_open(self) -> bool:
        return self not in (
            IncidentStatus.CLOSED,
            IncidentStatus.REJECTED,
            IncidentStatus.DUPLICATE,
        )


class Severity(StrEnum):
    """How bad it is; ``rank`` orders them for the escalation threshold."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Pap(StrEnum):
    """Permissible Actions Protocol: what the recipient may do with the information."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"


class Channel(StrEnum):
    """How the report reached certnet."""

    PORTAL = "portal"
    API = "api"
    CLI = "cli"
    EMAIL = "email"
    FEED = "feed"
    CONSOLE = "console"


class ObservableKind(StrEnum):
    """Kinds of observable (indicator) an incident can carry."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    CVE = "cve"
    ASN = "asn"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class LinkKind(StrEnum):
    """Why two incidents are linked."""

    RELATED = "related"
    CORRELATED = "correlated"
    DUPLICATE = "duplicate"


class Incident(Base):
    """A reported security incident, classified with RSIT, marked with TLP 2.0 and PAP."""

    __tablename__ = "incident"
    __access__ = Ownership(
        "incident",
        organisation="organisation_id",
        tlp="tlp",
        handler="handling_cert_id",
        visible_down_line=False,
    )

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(ForeignKey("cert.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    #: The CERT handling it now: the owner, or a CERT it was escalated up or delegated down to.
    handling_cert_id: Mapped[int] = mapped_column(ForeignKey("cert.id", ondelete="RESTRICT"))
    profile_id: Mapped[short_str]
    title: Mapped[name_str]
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16))
    reporter_user_id: Mapped[int | None] = mapped_column(Integer)
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus, 16))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, 16))
    rsit_class: Mapped[short_str]
    rsit_type: Mapped[short_str]
    certin_type: Mapped[str | None] = mapped_column(String(64))
    root_cause: Mapped[str | None] = mapped_column(String(64))
    outlook: Mapped[str | None] = mapped_column(String(64))
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16))
    pap: Mapped[Pap] = mapped_column(enum_column(Pap, 16))
    sector: Mapped[short_str]
    became_aware_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    reported_at: Mapped[datetime]
    #: Impact: what is affected and how badly.
    services_affected: Mapped[list[str]] = mapped_column(JSON, default=list)
    users_affected: Mapped[int | None] = mapped_column(BigInteger)
    data_affected: Mapped[str | None] = mapped_column(String(64))
    cross_border: Mapped[bool] = mapped_column(Boolean, default=False)
    financial_loss: Mapped[int | None] = mapped_column(BigInteger)
    harm_to_others: Mapped[bool] = mapped_column(Boolean, default=False)
    cii_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    sectors_affected: Mapped[list[str]] = mapped_column(JSON, default=list)
    provinces_affected: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    #: The earliest deadline of a stage not yet submitted (None: nothing owed): the queue's
    #: deadline state is read from it without touching the stages.
    next_due_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    status_before_merge: Mapped[str | None] = mapped_column(String(16))
    escalated_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    contained_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        # The CERT queue, one index per side of the tenancy (owner, handler), newest first.
        # On PostgreSQL they carry what the policy, the filters and the counts read, so that
        # the counts are index-only scans.
        Index(
            "ix_incident_owner_queue",
            "owner_cert_id",
            "status",
            "id",
            postgresql_include=["tlp", "next_due_at", "handling_cert_id"],
        ),
        Index("ix_incident_handling_queue", "handling_cert_id", "id"),
        # The whole-nation queue (National CERT, platform admins): counted live per TLP label,
        # each an index-only range of this index.
        Index(
            "ix_incident_status_tlp",
            "status",
            "tlp",
            postgresql_include=["next_due_at", "owner_cert_id", "handling_cert_id", "id"],
        ),
        # TLP:RED incidents, counted live (their recipients are checked one by one): few.
        Index(
            "ix_incident_red",
            "owner_cert_id",
            "status",
            postgresql_where=text("tlp = 'RED'"),
            sqlite_where=text("tlp = 'RED'"),
        ),
        Index(
            "ix_incident_handling_status",
            "handling_cert_id",
            "status",
            "id",
            postgresql_include=["tlp", "next_due_at", "owner_cert_id"],
        ),
        # Incidents handled away from their owner (escalated or delegated): few, and the
        # second side of a CERT's queue.
        Index(
            "ix_incident_handled_elsewhere",
            "handling_cert_id",
            "id",
            postgresql_include=["status", "tlp", "next_due_at", "owner_cert_id"],
            postgresql_where=text("handling_cert_id <> owner_cert_id"),
            sqlite_where=text("handling_cert_id <> owner_cert_id"),
        ),
    )

    @property
    def reference(self) -> str:
        """How people name it: ``INC-<year>-<id>``."""
        return f"INC-{self.reported_at:%Y}-{self.id:06d}"


class IncidentTally(Base):
    """How many incidents of an organisation are in a status under a TLP label, per CERT
    handling them away from their owner (``handler`` 0: handled by the owner). The queue's
    counts of finished work read it (see ``service/tally.py``)."""

    __tablename__ = "incident_tally"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    handler: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    tlp: Mapped[str] = mapped_column(String(16))
    count: Mapped[int]

    __table_args__ = (
        UniqueConstraint("organisation_id", "handler", "status", "tlp"),
        Index("ix_incident_tally_handler", "handler"),
    )


class IncidentObservable(Base):
    """An observable of an incident, normalised; also the correlation index (see module)."""

    __tablename__ = "incident_observable"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ObservableKind] = mapped_column(enum_column(ObservableKind, 16))
    value: Mapped[str] = mapped_column(String(2048))
    #: The first 8 bytes of SHA-256 over ``kind:value``, as a signed 64-bit integer.
    value_hash: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    #: The correlation index, and what keeps a value once per incident. (An incident's own
    #: observables are found by ``incident_id``, whose index deduplicates to a few bytes a row.)
    __table_args__ = (UniqueConstraint("value_hash", "incident_id"),)


class IncidentStage(Base):
    """A report the organisation owes its CERT, with the deadline the profile sets."""

    __tablename__ = "incident_stage"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    clock_id: Mapped[short_str]
    name: Mapped[name_str]
    position: Mapped[int]
    due_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    report: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded_at: Mapped[datetime | None]
    overdue_flagged_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("incident_id", "clock_id"),
        Index("ix_incident_stage_due", "submitted_at", "due_at"),
    )


class TimelineEntry(Base):
    """One thing that happened to an incident. ``internal`` entries are for CERT staff."""

    __tablename__ = "incident_timeline"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[short_str]
    summary: Mapped[str] = mapped_column(String(2000))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)


class Comment(Base):
    """A note on an incident; ``internal`` notes are never shown to the organisation."""

    __tablename__ = "incident_comment"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None]
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Task(Base):
    """Work on an incident, often from its playbook."""

    __tablename__ = "incident_task"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[name_str]
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, 16))
    playbook: Mapped[str | None] = mapped_column(String(64))
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class Evidence(Base):
    """A file kept as evidence, stored under ``settings.var_dir``; every access is logged."""

    __tablename__ = "incident_evidence"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    #: Relative to ``settings.var_dir``; content-addressed, so an upload is never overwritten.
    storage_path: Mapped[str] = mapped_column(String(512))
    description: Mapped[str] = mapped_column(String(2000), default="")
    uploaded_by_user_id: Mapped[int | None]
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]


class EvidenceAccess(Base):
    """Chain of custody: who stored, read or verified a piece of evidence, and when."""

    __tablename__ = "incident_evidence_access"

    id: Mapped[intpk]
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("incident_evidence.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[short_str]
    sha256_ok: Mapped[bool | None]


class IncidentLink(Base):
    """Two incidents that belong together. A correlation link is owned by the nearest CERT
    above both incidents' CERTs (``owner_cert_id``): that CERT, and those above it, are told
    the link exists, and see of each incident only what its TLP allows them."""

    __tablename__ = "incident_link"
    __access__ = Ownership("incident_link", visible_down_line=False)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    #: The lower id of the pair comes first, so a pair is stored once.
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    other_incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LinkKind] = mapped_column(enum_column(LinkKind, 16))
    observable_kind: Mapped[str | None] = mapped_column(String(16))
    value_hash: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(2000), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("incident_id", "other_incident_id", "kind"),)


class IncidentSetting(Base):
    """An override of the packaged routing rules or a playbook, set by the National CERT
    (``kind`` "rules" keyed by profile id, "playbook" keyed by RSIT class)."""

    __tablename__ = "incident_setting"
    __access__ = Ownership("incident_setting", visible_down_line=True)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(ForeignKey("cert.id", ondelete="CASCADE"))
    kind: Mapped[short_str]
    key: Mapped[short_str]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("kind", "key"),)


class Webhook(Base):
    """An HTTP endpoint a CERT wants incident events POSTed to, signed with HMAC-SHA256.

    The secret must be kept to sign, so it is stored as given (like an SMTP password) and
    never written to the audit chain or shown after creation."""

    __tablename__ = "incident_webhook"
    __access__ = Ownership("incident_webhook", visible_down_line=False)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event to POST to one webhook; sent by a job with retries (an outbox for HTTP)."""

    __tablename__ = "incident_webhook_delivery"

    id: Mapped[intpk]
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("incident_webhook.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[short_str]
    incident_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[short_str]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    delivered_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_incident_webhook_delivery_due", "state", "next_attempt_at"),)
