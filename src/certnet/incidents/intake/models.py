"""The intake quarantine: every mail the e-mail intake could not turn into a report, kept with
its reason and its raw bytes (bounded) until a CERT analyst releases or dismisses it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.db.base import Base, enum_column, intpk, text_str


class QuarantineReason(StrEnum):
    """Why a mail was not accepted as a report."""

    UNKNOWN_SENDER = "unknown_sender"
    AMBIGUOUS_SENDER = "ambiguous_sender"
    NO_BODY = "no_body"
    BROKEN_MIME = "broken_mime"
    OVERSIZE = "oversize"
    DISALLOWED_ATTACHMENT = "disallowed_attachment"
    #: The report the mail made was refused by the incidents service (a bad hint, say).
    REFUSED = "refused"


class QuarantineState(StrEnum):
    """Where a quarantined mail stands. Nothing is ever deleted: a dismissed mail stays."""

    HELD = "held"
    RELEASED = "released"
    DISMISSED = "dismissed"


class QuarantinedMail(Base):
    """One mail the intake kept instead of accepting. Owned by the CERT that received it
    (the sender's organisation's CERT when the sender is known) and visible to its staff only:
    the raw message may hold anything, so constituents never see the quarantine."""

    __tablename__ = "intake_quarantine"
    __access__ = Ownership("intake_quarantine", visible_down_line=False)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    #: The sender's organisation when it is known, or the one an analyst assigned.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime]
    envelope_from: Mapped[str] = mapped_column(String(320))
    header_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[str] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(String(1000))
    message_id: Mapped[str] = mapped_column(String(998))
    reason: Mapped[QuarantineReason] = mapped_column(enum_column(QuarantineReason))
    detail: Mapped[text_str]
    #: The message as received, cut at the intake's raw limit (``raw_size`` is the whole size).
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int] = mapped_column(Integer)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[QuarantineState] = mapped_column(
        enum_column(QuarantineState, 16), default=QuarantineState.HELD
    )
    #: The incident the mail became once released.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(2000))

    __table_args__ = (Index("ix_intake_quarantine_state", "owner_cert_id", "state", "id"),)

    @property
    def truncated(self) -> bool:
        """Whether ``raw`` holds less than the whole message."""
        return len(self.raw) < self.raw_size
