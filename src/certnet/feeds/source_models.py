"""Feed sources: where reports are collected from (a watched folder, an HTTP(S) URL, an IMAP
mailbox), with which parser, and how often. A secret is never stored: a source names the
environment variable that holds it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certnet.core.ownership import Ownership
from certnet.db.base import Base, enum_column, intpk, short_str


class SourceKind(StrEnum):
    """How a source's reports are collected."""

    FOLDER = "folder"
    HTTP = "http"
    IMAP = "imap"


class FeedSource(Base):
    """A configured feed source. ``location`` is the folder, the URL, or the IMAP server
    (``imaps://host:port/MAILBOX``); ``secret_env`` names the environment variable holding
    its password or token; ``state`` is what the collector remembers between runs (the
    ETag and Last-Modified of an HTTP report)."""

    __tablename__ = "feed_source"
    # Sources are governed like feed runs: whoever may run feeds may say where they come from.
    __access__ = Ownership("feed_run", visible_down_line=False)

    id: Mapped[intpk]
    owner_cert_id: Mapped[int] = mapped_column(
        ForeignKey("cert.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[short_str]
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind, 16))
    location: Mapped[str] = mapped_column(String(2000))
    parser: Mapped[short_str]
    report_type: Mapped[str | None] = mapped_column(String(64))
    mapping_path: Mapped[str | None] = mapped_column(String(1000))
    username: Mapped[str | None] = mapped_column(String(200))
    secret_env: Mapped[str | None] = mapped_column(String(128))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    every_minutes: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_collected_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("name"),)
