"""API and CLI shapes of feed sources and of a collection run."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from certnet.feeds.schemas import FeedRunSummary
from certnet.feeds.source_models import SourceKind

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SourceOptions(BaseModel):
    """Per-kind settings. HTTP: ``ca_bundle``. IMAP: ``mailbox``, ``subject``, ``sender``,
    ``security``, ``port``, ``ca_bundle``. Folder: ``settle_seconds``."""

    model_config = ConfigDict(extra="forbid")

    ca_bundle: str | None = Field(None, description="PEM file of extra trusted CAs (TLS)")
    mailbox: str = "INBOX"
    subject: str | None = Field(None, description="IMAP: only mails whose subject has this")
    sender: str | None = Field(None, description="IMAP: only mails from this sender")
    security: Literal["ssl", "starttls", "plain"] = "ssl"
    port: int | None = Field(None, ge=1, le=65535)
    settle_seconds: float = Field(0.0, ge=0, le=60)


class FeedSourceCreate(BaseModel):
    """A new feed source. ``secret_env`` names an environment variable holding the password
    or token; the secret itself is never given to certnet's database."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    kind: SourceKind
    location: str = Field(min_length=1, max_length=2000)
    parser: str = Field("shadowserver", max_length=64)
    report_type: str | None = Field(None, max_length=64)
    mapping_path: str | None = Field(None, max_length=1000)
    username: str | None = Field(None, max_length=200)
    secret_env: str | None = Field(None, max_length=128)
    options: SourceOptions = Field(default_factory=SourceOptions)
    every_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    enabled: bool = True

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("the name of an environment variable (A-Z, 0-9, _), not a secret")
        return value


class FeedSourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: SourceKind
    location: str
    parser: str
    report_type: str | None
    mapping_path: str | None
    username: str | None
    secret_env: str | None
    options: dict[str, Any]
    every_minutes: int
    enabled: bool
    last_collected_at: datetime | None
    last_error: str | None


class CollectedRead(BaseModel):
    """One report of a collection: its name and what ingesting it did, or why it failed."""

    source: str
    report: str
    run: FeedRunSummary | None = None
    error: str | None = None


class CollectionRead(BaseModel):
    """What collecting from one source did."""

    source: str
    reports: list[CollectedRead] = Field(default_factory=list)
    error: str | None = None
