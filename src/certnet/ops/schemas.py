"""Shapes of the operator endpoints and the audit view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class HealthRead(BaseModel):
    status: str
    database: str
    revision: str | None
    head: str | None


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    hash: str


class AuditVerificationRead(BaseModel):
    ok: bool
    entries: int
    broken_seq: int | None
    reason: str | None
