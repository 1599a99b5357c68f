"""Tables of the cross-cutting parts: the audit chain and TLP:RED recipient lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.db.base import Base, intpk, short_str


class AuditEntry(Base):
    """One state change. ``hash`` covers this entry and the previous entry's hash."""

    __tablename__ = "audit_entry"
    __access__ = Ownership("audit_entry", cert="owner_cert_id", visible_down_line=False)

    id: Mapped[intpk]
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[short_str]
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: The CERT whose data changed; decides who may read the entry. None: platform-wide.
    owner_cert_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)


class AuditHead(Base):
    """The single row naming the chain's last entry; locked while appending, so that
    concurrent writers serialise and a deleted tail is noticed."""

    __tablename__ = "audit_head"

    id: Mapped[intpk]
    last_seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))


class TlpRecipient(Base):
    """A named recipient of a TLP:RED object: a user, a whole CERT or an organisation."""

    __tablename__ = "tlp_recipient"

    id: Mapped[intpk]
    object_type: Mapped[short_str]
    object_id: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    cert_id: Mapped[int | None] = mapped_column(ForeignKey("cert.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )

    __table_args__ = (Index("ix_tlp_recipient_object", "object_type", "object_id"),)
