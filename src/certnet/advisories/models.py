"""Tables of the advisories domain: advisories, their published revisions, who each revision
was disseminated to, and what each organisation answered."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.core.tlp import Tlp
from certnet.db.base import Base, enum_column, intpk, name_str


class AdvisoryStatus(StrEnum):
    """CSAF's document status: a draft is never disseminated; interim and final are."""

    DRAFT = "draft"
    INTERIM = "interim"
    FINAL = "final"


class AdvisoryCategory(StrEnum):
    """Which CSAF profile the advisory is published as."""

    SECURITY_ADVISORY = "csaf_security_advisory"
    VEX = "csaf_vex"


class AnswerStatus(StrEnum):
    """What an organisation says about an advisory it received."""

    PATCHED = "patched"
    NOT_AFFECTED = "not_affected"
    MITIGATED = "mitigated"
    NEEDS_HELP = "needs_help"


class Advisory(Base):
    """A security announcement by a CERT (its publisher), authored as a draft and published
    as numbered CSAF 2.0 revisions.

    Products, notes, remediations and references are lists of small records kept as JSON (their
    shapes are the Pydantic models in :mod:`certnet.advisories.schemas`); each published
    revision keeps the exact CSAF document that went out.
    """

    __tablename__ = "advisory"
    # CERT-level rows: the publisher, the CERTs above it, and (for AMBER) its constituents on
    # the reporting line; drafts are further hidden from everyone outside the publisher's
    # part of the hierarchy by the service.
    __access__ = Ownership("advisory", tlp="tlp")

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    tracking_id: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[AdvisoryCategory] = mapped_column(enum_column(AdvisoryCategory, 32))
    title: Mapped[name_str]
    summary: Mapped[str] = mapped_column(Text)
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16))
    cves: Mapped[list[str]] = mapped_column(JSON)
    cvss_v3_vector: Mapped[str | None] = mapped_column(String(200))
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    remediations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[AdvisoryStatus] = mapped_column(enum_column(AdvisoryStatus, 16))
    #: The number of the latest published revision; 0 while never published.
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: Edited since the latest revision was published (the next publication makes a revision).
    pending_changes: Mapped[bool] = mapped_column(default=True)
    answer_deadline: Mapped[datetime | None]
    initial_release_at: Mapped[datetime | None]
    current_release_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_advisory_tlp_status", "tlp", "status"),)


class AdvisoryRevision(Base):
    """One published revision: its number, status, summary and the CSAF document as sent."""

    __tablename__ = "advisory_revision"
    __access__ = Ownership("advisory_revision", tlp="tlp")

    id: Mapped[intpk]
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisory.id", ondelete="CASCADE"))
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[AdvisoryStatus] = mapped_column(enum_column(AdvisoryStatus, 16))
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16))
    summary: Mapped[str] = mapped_column(String(2000))
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("advisory_id", "number"),)


class Dissemination(Base):
    """One revision sent to one organisation (by e-mail through the outbox, and in the portal):
    the log of who got what, when. Owned by the organisation's CERT, which sends it."""

    __tablename__ = "advisory_dissemination"
    # Who got an advisory says which organisations run a vulnerable product: the log is at
    # least TLP:AMBER (the organisation and its CERTs), stricter when the advisory is. The
    # publishing CERT handles it: it follows up every organisation it sent the advisory to.
    __access__ = Ownership(
        "advisory_dissemination",
        organisation="organisation_id",
        tlp="log_tlp",
        handler="publisher_cert_id",
    )

    id: Mapped[intpk]
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisory.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("advisory_revision.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    publisher_cert_id: Mapped[int] = mapped_column(ForeignKey("cert.id", ondelete="RESTRICT"))
    organisation_name: Mapped[name_str]
    tracking_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[name_str]
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16))
    #: The marking of this log entry: the advisory's, and never below AMBER.
    log_tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16))
    #: The CSAF document as the organisation received it.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: E-mail addresses the message went to (empty: portal only, no valid contact).
    recipients: Mapped[list[str]] = mapped_column(JSON)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL")
    )
    #: The organisation's assets that matched: ``[{"asset_id", "name", "version"}]``.
    matched_assets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sent_at: Mapped[datetime]
    sent_by: Mapped[str] = mapped_column(String(200))
    #: When the organisation was reminded, past the deadline without an answer (once).
    reminded_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("advisory_id", "version", "organisation_id"),
        Index("ix_advisory_dissemination_advisory", "advisory_id", "organisation_id"),
    )


class AdvisoryAnswer(Base):
    """An organisation's answer to an advisory: the latest one stands (earlier ones are in
    the audit chain)."""

    __tablename__ = "advisory_answer"
    __access__ = Ownership("advisory_answer", organisation="organisation_id")

    id: Mapped[intpk]
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisory.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[AnswerStatus] = mapped_column(enum_column(AnswerStatus, 16))
    note: Mapped[str] = mapped_column(String(2000), default="")
    version: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime]
    answered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    answered_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("advisory_id", "organisation_id"),)
