"""Background work of the notifications domain: sending the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.jobs import Job
from certnet.notifications import service


def send_outbox(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """Send every due message (up to ``limit``, default 500)."""
    report = service.deliver_due(session_factory, settings, limit=int(params.get("limit", 500)))
    return {"sent": report.sent, "failed": report.failed, "retrying": report.retrying}


JOBS: tuple[Job, ...] = (
    Job(
        name="notifications.send_outbox",
        function=send_outbox,
        every=timedelta(seconds=30),
        description="Send due e-mails from the outbox over SMTP",
    ),
)
