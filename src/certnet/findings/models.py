"""Tables of the findings domain: findings and their history, the notifications that told
organisations about them, and what shapes those notifications (contact preferences, each
organisation's interval, suppression rules)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.db.base import Base, enum_column, intpk, short_str

#: Length limits of a finding's identity (the event columns it comes from are no longer).
HOST_MAX, ISSUE_MAX, NOTE_MAX = 255, 128, 2000


class FindingState(StrEnum):
    """Where a finding stands on its way from a report to a verified fix."""

    OPEN = "open"  # seen in a report, nobody told yet
    NOTIFIED = "notified"  # the organisation was sent a notification naming it
    ACKNOWLEDGED = "acknowledged"  # the organisation said it is on it
    FIXED = "fixed"  # the organisation said it is fixed
    VERIFIED = "verified"  # absent from a later complete report of the same feed
    REOPENED = "reopened"  # present again after it was fixed or verified


#: States in which the issue is still there as far as certnet knows.
UNRESOLVED = (
    FindingState.OPEN,
    FindingState.NOTIFIED,
    FindingState.ACKNOWLEDGED,
    FindingState.REOPENED,
)
#: States waiting to be notified.
TO_NOTIFY = (FindingState.OPEN, FindingState.REOPENED)


class Interval(StrEnum):
    """How often an organisation is sent notifications (per report type)."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class Language(StrEnum):
    """Languages notifications are written in."""

    ENGLISH = "en"
    URDU = "ur"


class MailFormat(StrEnum):
    """Plain text only, or text with an HTML alternative."""

    HTML = "html"
    TEXT = "text"


class Finding(Base):
    """One issue at one organisation: an issue type (feed source, report type and the
    harmonised ``classification.identifier``) on one host and port, followed from the first
    report naming it to the report that no longer does."""

    __tablename__ = "finding"
    # Findings are the organisation's and its CERT line's; a CERT's staff above see them.
    __access__ = Ownership("finding", organisation="organisation_id", visible_down_line=False)

    id: Mapped[intpk]
    #: SHA-256 of organisation, source, report type, issue, host and port: the identity.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    sector: Mapped[str | None] = mapped_column(String(64))
    cii: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[short_str]
    report_type: Mapped[short_str]
    #: ``classification.identifier`` of the events, or the report type when they have none.
    issue: Mapped[str] = mapped_column(String(ISSUE_MAX))
    classification_taxonomy: Mapped[str | None] = mapped_column(String(64))
    classification_type: Mapped[str | None] = mapped_column(String(64))
    #: The address (or, without one, the host name); ``port`` is None when the report has none.
    host: Mapped[str] = mapped_column(String(HOST_MAX))
    port: Mapped[int | None] = mapped_column(Integer)
    ip_version: Mapped[int | None] = mapped_column(Integer)
    ip_hex: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[FindingState] = mapped_column(enum_column(FindingState, 16))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    #: Events stored for this finding, and the reports (feed runs) that showed it.
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    sightings: Mapped[int] = mapped_column(Integer, default=0)
    last_event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("feed_run.id", ondelete="SET NULL"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("feed_run.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    fixed_at: Mapped[datetime | None]
    fixed_by: Mapped[str | None] = mapped_column(String(200))
    fixed_note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    verified_at: Mapped[datetime | None]
    #: On verification: whether the organisation had said "fixed" first (None until then).
    verified_after_claim: Mapped[bool | None] = mapped_column(Boolean)
    reopened_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    last_notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("finding_notification.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_finding_feed", "source", "report_type", "state"),
        Index("ix_finding_organisation_state", "organisation_id", "state"),
    )


class FindingHistory(Base):
    """One transition of one finding: from which state to which, when, by whom, and why."""

    __tablename__ = "finding_history"
    __access__ = Ownership(
        "finding_history", organisation="organisation_id", visible_down_line=False
    )

    id: Mapped[intpk]
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("finding.id", ondelete="CASCADE"), index=True
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    from_state: Mapped[FindingState | None] = mapped_column(enum_column(FindingState, 16))
    to_state: Mapped[FindingState] = mapped_column(enum_column(FindingState, 16))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    feed_run_id: Mapped[int | None] = mapped_column(ForeignKey("feed_run.id", ondelete="SET NULL"))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("finding_notification.id", ondelete="SET NULL")
    )


class FindingNotification(Base):
    """One aggregated notification: an organisation's new findings of one report type in
    one period, with its ticket number. Unique per (organisation, report type, period), so
    that a crash and a re-run never notify twice."""

    __tablename__ = "finding_notification"
    __access__ = Ownership(
        "finding_notification", organisation="organisation_id", visible_down_line=False
    )

    id: Mapped[intpk]
    ticket: Mapped[str] = mapped_column(String(64), unique=True)
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    report_type: Mapped[short_str]
    interval: Mapped[Interval] = mapped_column(enum_column(Interval, 16))
    #: ``2026-11-29`` (daily), ``2026-W48`` (weekly), ``2026-11-29T10:15`` (immediate).
    period: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    finding_count: Mapped[int] = mapped_column(Integer)
    #: Addresses written to, with the language each got.
    recipients: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    #: Outbox messages (one per recipient).
    message_ids: Mapped[list[int]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("organisation_id", "report_type", "period"),)


class ContactPreference(Base):
    """How one contact wants findings notifications: language, format, the CSV, and report
    types they do not want at all."""

    __tablename__ = "contact_preference"
    __access__ = Ownership("contact_preference", organisation="organisation_id")

    id: Mapped[intpk]
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), unique=True
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[Language] = mapped_column(enum_column(Language, 8))
    mail_format: Mapped[MailFormat] = mapped_column(enum_column(MailFormat, 8))
    attach_csv: Mapped[bool] = mapped_column(Boolean, default=True)
    opted_out: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class NotificationInterval(Base):
    """How often one organisation is notified; organisations without a row get the daily
    default."""

    __tablename__ = "notification_interval"
    __access__ = Ownership("notification_interval", organisation="organisation_id")

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), unique=True
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    interval: Mapped[Interval] = mapped_column(enum_column(Interval, 16))
    updated_at: Mapped[datetime]


class SuppressionRule(Base):
    """Findings matching this rule are not notified until it expires or is lifted: by
    organisation and/or report type and/or network, always with a reason."""

    __tablename__ = "suppression_rule"
    __access__ = Ownership(
        "suppression_rule", organisation="organisation_id", visible_down_line=False
    )

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    report_type: Mapped[str | None] = mapped_column(String(64))
    #: Canonical CIDR text, and its range as fixed-width hex (like a claimed prefix).
    network: Mapped[str | None] = mapped_column(String(64))
    ip_version: Mapped[int | None] = mapped_column(Integer)
    first_address: Mapped[str | None] = mapped_column(String(32))
    last_address: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(NOTE_MAX))
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(200))
