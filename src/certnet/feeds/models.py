"""Feed storage: runs of the pipeline, the harmonised events they stored, and the rows they
quarantined."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.core.tlp import Tlp
from certnet.db.base import Base, UTCDateTime, enum_column, intpk, short_str


class RunState(StrEnum):
    """Where a feed run stands.

    A run is ``interrupted`` from its first write until it finishes: if the process dies
    between two committed batches the row already says so, and a re-run of the same input
    picks up without losing or duplicating anything.
    """

    INTERRUPTED = "interrupted"
    FINISHED = "finished"


#: String limits of the typed event columns; longer values are quarantined, not truncated.
FQDN_MAX, IP_TEXT_MAX, TRANSPORT_MAX, APPLICATION_MAX, IDENTIFIER_MAX = 255, 64, 16, 64, 128
TAXONOMY_MAX, TYPE_MAX, SEVERITY_MAX = 64, 64, 16
#: Hex digits of an event's fingerprint.
FINGERPRINT_HEX = 32


class FeedRun(Base):
    """One ingestion of one input (a report file, an upload): what it read and where every
    row went. ``rows = stored + duplicates + quarantined`` holds for every finished run."""

    __tablename__ = "feed_run"
    # Runs are CERT staff records: the running CERT and those above it see them.
    __access__ = Ownership("feed_run", visible_down_line=False)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[short_str]
    report_type: Mapped[short_str]
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[RunState] = mapped_column(enum_column(RunState, 16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    run_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    run_by: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    unowned: Mapped[int] = mapped_column(Integer, default=0)
    #: Whether ``rows = stored + duplicates + quarantined`` was checked and held at the end.
    accounted: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """One harmonised feed record, enriched with the organisation responsible for it.

    The fields routing, deduplication and queries need are typed columns; every other
    harmonised field (and the report's unknown columns, under ``extra``) is kept in ``data``.
    The same event seen again within the deduplication window is one row with a ``count``.
    """

    __tablename__ = "event"
    # Unowned events (no organisation) belong to the top CERT and stay there: a sectoral CERT
    # has no need to know about addresses outside every constituency.
    __access__ = Ownership(
        "event", organisation="organisation_id", tlp="tlp", visible_down_line=False
    )

    id: Mapped[intpk]
    report_type: Mapped[short_str]
    feed_run_id: Mapped[int] = mapped_column(
        ForeignKey("feed_run.id", ondelete="CASCADE"), index=True
    )
    #: The run that last moved ``last_seen`` (a later report showing the event again).
    last_feed_run_id: Mapped[int] = mapped_column(ForeignKey("feed_run.id", ondelete="CASCADE"))
    time_source: Mapped[datetime | None]
    source_ip: Mapped[str | None] = mapped_column(String(IP_TEXT_MAX))
    ip_version: Mapped[int | None] = mapped_column(Integer)
    #: The address as fixed-width hex (8 or 32 digits), like ``Resource.first_address``.
    ip_hex: Mapped[str | None] = mapped_column(String(32))
    source_port: Mapped[int | None] = mapped_column(Integer)
    source_asn: Mapped[int | None] = mapped_column(BigInteger)
    source_fqdn: Mapped[str | None] = mapped_column(String(FQDN_MAX))
    protocol_transport: Mapped[str | None] = mapped_column(String(TRANSPORT_MAX))
    protocol_application: Mapped[str | None] = mapped_column(String(APPLICATION_MAX))
    classification_taxonomy: Mapped[str | None] = mapped_column(String(TAXONOMY_MAX))
    classification_type: Mapped[str | None] = mapped_column(String(TYPE_MAX))
    classification_identifier: Mapped[str | None] = mapped_column(String(IDENTIFIER_MAX))
    severity: Mapped[str | None] = mapped_column(String(SEVERITY_MAX))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    sector: Mapped[str | None] = mapped_column(String(64))
    cii: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The first 128 bits of the SHA-256 of the report type and the identity fields (never
    #: the time), in hex: unique enough for dedup, half the index of the full digest.
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_HEX))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer, default=1)
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp, 16), default=Tlp.AMBER)

    # Indexes for the queries there are, no more (each costs every insert of a feed):
    # deduplication looks events up by fingerprint (the report type is hashed into it);
    # listings filter by run (``feed_run_id``), by organisation or owning CERT (the access
    # policy) and page by id.
    __table_args__ = (
        # One fingerprint recurs as separate events only when seen again after the window:
        # each has its own first sighting.
        UniqueConstraint("fingerprint", "first_seen"),
        Index("ix_event_organisation", "organisation_id", "id"),
    )


class QuarantinedRow(Base):
    """An input row the pipeline could not accept, kept with its line, text and reason."""

    __tablename__ = "quarantined_row"
    __access__ = Ownership("quarantined_row", visible_down_line=False)

    id: Mapped[intpk]
    feed_run_id: Mapped[int] = mapped_column(
        ForeignKey("feed_run.id", ondelete="CASCADE"), index=True
    )
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    field: Mapped[str | None] = mapped_column(String(128))
