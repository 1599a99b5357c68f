"""The incidents demo on a small demo network: incidents in every state, a correlation across
sectors, an escalation, stage reports on time and late; a second run changes nothing."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core import audit
from certnet.core.access import Principal
from certnet.demo import generator, loader
from certnet.incidents import demo
from certnet.incidents.models import (
    Incident,
    IncidentLink,
    IncidentStage,
    IncidentStatus,
    LinkKind,
    TimelineEntry,
)
from certnet.profiles import service as profiles

SYSTEM = Principal.system("demo-test")
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)


def test_the_demo_has_incidents_in_every_state(session: Session) -> None:
    plan = generator.plan(profiles.active(), organisations=60, today=date(2026, 6, 1))
    loader.load(session=session, principal=SYSTEM, plan=plan, password=generator.DEMO_PASSWORD)
    started = time.perf_counter()
    summary = demo.seed(session=session, principal=SYSTEM, now=NOW)
    assert time.perf_counter() - started < 20
    assert summary.startswith("incidents: ")
    states = Counter(i.status for i in session.scalars(select(Incident)))
    assert set(states) == set(IncidentStatus)
    links = {link.kind for link in session.scalars(select(IncidentLink))}
    assert LinkKind.CORRELATED in links
    assert LinkKind.DUPLICATE in links
    assert session.scalar(
        select(func.count()).select_from(TimelineEntry).where(TimelineEntry.kind == "escalated")
    )
    late = session.scalars(
        select(IncidentStage.late).where(IncidentStage.submitted_at.is_not(None))
    )
    assert set(late) == {True, False}
    assert audit.verify(session=session).ok

    before = session.scalar(select(func.count()).select_from(Incident))
    again = demo.seed(session=session, principal=SYSTEM, now=NOW)
    assert "nothing changed" in again
    assert session.scalar(select(func.count()).select_from(Incident)) == before
