"""Background work of the incidents domain: reporting-clock reminders and webhook delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.incidents import service
from certnet.jobs import Job


def remind(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """Reminders of stages due soon and overdue flags, in one unit of work (idempotent:
    each stage is reminded and flagged once)."""
    now: datetime | None = params.get("now")
    with session_factory() as session, session.begin():
        report = service.send_reminders(session=session, now=now)
    return report.model_dump()


def deliver(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """POST due webhook deliveries."""
    return service.deliver_webhooks(
        session_factory, settings, now=params.get("now"), limit=int(params.get("limit", 100))
    ).model_dump()


JOBS: tuple[Job, ...] = (
    Job(
        name="incidents.reminders",
        function=remind,
        every=timedelta(minutes=5),
        description="Remind organisations of reporting stages due soon; flag overdue ones",
    ),
    Job(
        name="incidents.webhooks",
        function=deliver,
        every=timedelta(minutes=1),
        description="Deliver incident events to webhooks, with retries",
    ),
)
