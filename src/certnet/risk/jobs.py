"""Background work of the risk domain: the register's daily snapshot, and expiring risk
acceptances (an accepted risk past its expiry is open again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.core import audit, clock
from certnet.core.access import Principal
from certnet.jobs import Job
from certnet.risk import service
from certnet.risk.models import Measure, MeasureState


def snapshot(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """Record today's register snapshot (replacing one taken earlier today): idempotent."""
    with session_factory.begin() as session:
        count = service.take_snapshot(
            session=session, principal=Principal.system("risk.snapshot"), on=clock.now().date()
        )
    return {"organisations": count}


def expire_acceptances(
    session_factory: sessionmaker[Session], settings: Settings, **params: Any
) -> dict[str, int]:
    """Reopen every measure whose risk acceptance has expired; each reopening is audited."""
    principal = Principal.system("risk.expire_acceptances")
    today = clock.now().date()
    with session_factory.begin() as session:
        expired = session.scalars(
            select(Measure).where(
                Measure.state == MeasureState.RISK_ACCEPTED, Measure.accepted_until < today
            )
        ).all()
        for measure in expired:
            before = audit.snapshot(measure)
            measure.state = MeasureState.OPEN
            measure.accepted_reason = None
            measure.accepted_until = None
            measure.updated_at = clock.now()
            session.flush()
            audit.record(
                session=session,
                principal=principal,
                action="risk.measure.acceptance_expired",
                object_type="measure",
                object_id=measure.id,
                before=before,
                after=audit.snapshot(measure),
                owner_cert_id=measure.owner_cert_id,
            )
    return {"reopened": len(expired)}


JOBS: tuple[Job, ...] = (
    Job(
        name="risk.snapshot",
        function=snapshot,
        every=timedelta(hours=6),
        description="Record today's risk register snapshot (the trend reads these)",
    ),
    Job(
        name="risk.expire_acceptances",
        function=expire_acceptances,
        every=timedelta(hours=1),
        description="Reopen measures whose risk acceptance has expired",
    ),
)
