"""Background work of the findings domain: notifying organisations of what is due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.core import clock
from certnet.findings import service
from certnet.jobs import Job


def notify(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """Enqueue every findings notification due now, in one unit of work: the notifications,
    their outbox messages and the findings' new state commit together, so the job can run
    again after a crash without sending anything twice (the outbox job sends them)."""
    with session_factory.begin() as session:
        done = service.notify_due(session=session, now=clock.now())
    return {
        "notifications": done.notifications,
        "messages": done.messages,
        "findings": done.findings,
        "suppressed": done.suppressed,
        "waiting": done.waiting,
        "no_recipient": done.no_recipient,
    }


JOBS: tuple[Job, ...] = (
    Job(
        name="findings.notify",
        function=notify,
        every=timedelta(minutes=1),
        description="Notify organisations of their new findings, per their interval",
    ),
)
