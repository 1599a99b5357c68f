"""The findings demo on a small demo network: findings in several states, notifications
queued, the demo bank's users see their own; a second run changes nothing."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core.access import Principal
from certnet.demo import generator, loader
from certnet.findings import demo, service
from certnet.findings.models import Finding, FindingNotification, FindingState
from certnet.identity import service as identity
from certnet.profiles import service as profiles

SYSTEM = Principal.system("demo-test")
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)


def test_the_demo_seeds_findings_in_several_states(session: Session) -> None:
    plan = generator.plan(profiles.active(), organisations=60, today=date(2026, 6, 1))
    loader.load(session=session, principal=SYSTEM, plan=plan, password=generator.DEMO_PASSWORD)
    started = time.perf_counter()
    summary = demo.seed(session=session, principal=SYSTEM, now=NOW)
    assert time.perf_counter() - started < 20
    assert summary.startswith("findings: ")
    states = Counter(f.state for f in session.scalars(select(Finding)))
    assert states[FindingState.NOTIFIED] > 0
    assert states[FindingState.VERIFIED] > 0
    assert states[FindingState.ACKNOWLEDGED] + states[FindingState.REOPENED] > 0
    assert (session.scalar(select(func.count()).select_from(FindingNotification)) or 0) > 0
    bank_user = identity.active_user_named(session=session, username="bank-admin")
    assert bank_user is not None
    bank = identity.principal_for(session=session, user=bank_user)
    mine = service.list_findings(session=session, principal=bank, limit=1000).items
    assert mine
    assert {f.organisation_id for f in mine} == {bank_user.organisation_id}

    before = Counter(f.state for f in session.scalars(select(Finding)))
    assert demo.seed(session=session, principal=SYSTEM, now=NOW) == summary
    assert Counter(f.state for f in session.scalars(select(Finding))) == before
