"""Tables of the notifications domain: the outbox every outgoing mail passes through.

A message is written in the same transaction as the change that causes it, under a key that
makes it idempotent (the same key twice is one message), and sent later by a job. So a crash
before the commit sends nothing, and a crash after it sends the message once the job runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certnet.core.ownership import Ownership
from certnet.db.base import Base, enum_column, intpk, short_str


class MessageState(StrEnum):
    """Where a message is on its way out."""

    QUEUED = "queued"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a sender; back to queued if the sender dies
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # refused permanently, or out of attempts


class OutboxMessage(Base):
    """One e-mail, with its recipients, content and delivery state."""

    __tablename__ = "outbox_message"
    __access__ = Ownership(
        object_type="outbox_message", organisation="organisation_id", visible_down_line=False
    )
    __table_args__ = (Index("ix_outbox_message_due", "state", "next_attempt_at"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    ticket: Mapped[str | None] = mapped_column(String(64), index=True)
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    object_type: Mapped[short_str]
    object_id: Mapped[int | None] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[MessageState] = mapped_column(enum_column(MessageState, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(2000))

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )


class OutboxAttachment(Base):
    """A file sent with a message (a CSV of events, a CSAF document)."""

    __tablename__ = "outbox_attachment"

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
