"""Background work of the advisories domain: reminding organisations that have not answered
an advisory by its deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certnet.advisories import answers
from certnet.config import Settings
from certnet.core.access import Principal
from certnet.jobs import Job


def remind_overdue(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """Remind (once) every organisation past an advisory's deadline without an answer."""
    with session_factory.begin() as session:
        reminded = answers.remind_overdue(
            session=session, principal=Principal.system("advisory reminders")
        )
    return {"reminded": reminded}


JOBS: tuple[Job, ...] = (
    Job(
        name="advisories.remind_overdue",
        function=remind_overdue,
        every=timedelta(hours=1),
        description="Remind organisations that have not answered an advisory by its deadline",
    ),
)
