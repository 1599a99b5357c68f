"""Per-request context (the request id), visible to logs and the audit chain."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("certnet_request_id", default=None)
