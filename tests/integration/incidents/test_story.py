"""The story across tiers, through the service: a bank reports, the banking CERT triages, a
shared observable links a telecom incident, CII escalates to the National CERT, stage reports
arrive on time and one late; who sees what at each tier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.core import audit
from certnet.core.errors import Invalid, NotFound
from certnet.incidents import service as incidents
from certnet.incidents.models import IncidentStatus, LinkKind
from certnet.incidents.schemas import IncidentFilter, IncidentReport, ObservableIn
from certnet.notifications.models import OutboxMessage
from tests.factories import Network
from tests.integration.incidents.conftest import NOW


def _bank_report(**extra: object) -> IncidentReport:
    data: dict[str, object] = {
        "title": "Ransomware on branch file servers",
        "description": "Files encrypted on three branch servers; ransom note found.",
        "became_aware_at": NOW - timedelta(hours=2),
        "started_at": NOW - timedelta(hours=5),
        "rsit_class": "malicious-code",
        "rsit_type": "infected-system",
        "severity": "high",
        "tlp": "AMBER",
        "observables": [
            ObservableIn(value="198.51.100.77"),
            ObservableIn(value="HTTP://Evil.Example.COM/payload.exe"),
        ],
    }
    data.update(extra)
    return IncidentReport.model_validate(data)


def _mails(session: Session, incident_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.object_type == "incident", OutboxMessage.object_id == incident_id)
            .order_by(OutboxMessage.id)
        )
    )


def test_story_across_tiers(session: Session, net: Network) -> None:
    bank = net.principal(session, "bankreporter")
    sbp = net.principal(session, "sbp")
    pta = net.principal(session, "pta")
    national = net.principal(session, "national")

    # A telecom incident already carries the address the bank will report.
    telco_incident = incidents.report(
        session=session,
        principal=net.principal(session, "telco"),
        data=IncidentReport(
            title="Botnet C2 seen from our network",
            became_aware_at=NOW - timedelta(days=1),
            rsit_class="malicious-code",
            rsit_type="c2-server",
            tlp="AMBER+STRICT",
            observables=[ObservableIn(value="198.51.100.77")],
        ),
        now=NOW - timedelta(hours=20),
    )

    # The bank (CII) reports; the report lands at its owning CERT and CII sends it up.
    incident = incidents.report(session=session, principal=bank, data=_bank_report(), now=NOW)
    assert incident.owner_cert_id == net.certs["sbpcert"].id
    assert incident.organisation_id == net.orgs["First Bank"].id
    assert incident.cii_involved is True
    assert incident.handling_cert_id == net.certs["pkcert"].id
    assert incident.certin_type == "malicious_code"
    assert incident.root_cause == "malicious_action"
    kinds = [
        e.kind for e in incidents.timeline(session=session, principal=sbp, incident_id=incident.id)
    ]
    assert kinds[0] == "reported"
    assert "escalated" in kinds
    assert "correlated" in kinds

    # Stages: the profile's clocks, counted from became-aware.
    stages = incidents.stages(session=session, principal=bank, incident_id=incident.id, now=NOW)
    assert [s.clock_id for s in stages] == ["initial_report", "detailed_report", "final_report"]
    assert stages[0].due_at == NOW - timedelta(hours=2) + timedelta(hours=24)
    assert stages[0].basis == "policy"

    # The banking CERT triages (it still handles as the owner).
    incidents.transition(
        session=session, principal=sbp, incident_id=incident.id, to=IncidentStatus.TRIAGED, now=NOW
    )
    assert incident.acknowledged_at == NOW

    # The shared observable linked the telecom incident; the common ancestor is told.
    links = incidents.links(session=session, principal=sbp, incident_id=incident.id)
    assert [(link.kind, link.other_incident_id) for link in links] == [
        (LinkKind.CORRELATED, telco_incident.id)
    ]
    # AMBER+STRICT: the banking CERT learns the link exists, not the telecom incident's title.
    assert links[0].other_title is None
    assert links[0].other_reference is None
    govcert_view = incidents.correlations(session=session, principal=national)
    assert govcert_view
    assert govcert_view[0].owner_cert_id == net.certs["govcert"].id
    sides = {s.incident_id: s for s in govcert_view[0].incidents}
    assert sides[incident.id].visible is True
    assert sides[telco_incident.id].visible is False
    assert sides[telco_incident.id].title is None
    with pytest.raises(NotFound):
        incidents.get(session=session, principal=sbp, incident_id=telco_incident.id)
    assert incidents.get(session=session, principal=pta, incident_id=telco_incident.id)

    # Stage reports: the first on time, the second late.
    first = incidents.submit_stage(
        session=session,
        principal=bank,
        incident_id=incident.id,
        clock_id="initial_report",
        report="Three servers isolated.",
        now=NOW + timedelta(hours=3),
    )
    assert first.late is False
    second = incidents.submit_stage(
        session=session,
        principal=bank,
        incident_id=incident.id,
        clock_id="detailed_report",
        report="Entry via VPN appliance.",
        now=NOW + timedelta(hours=80),
    )
    assert second.late is True
    states = {
        s.clock_id: s.state
        for s in incidents.stages(
            session=session, principal=sbp, incident_id=incident.id, now=NOW + timedelta(hours=80)
        )
    }
    assert states == {
        "initial_report": "submitted",
        "detailed_report": "late",
        "final_report": "pending",
    }

    # Mails: the banking CERT's duty desk on new, the National CERT's on escalation.
    recipients = {r for m in _mails(session, incident.id) for r in m.recipients}
    assert {"duty@sbpcert.example.pk", "duty@pkcert.example.pk"} <= recipients

    # Audit chain holds and verifies.
    assert audit.verify(session=session).ok


def test_bad_reports_name_the_field_and_write_nothing(session: Session, net: Network) -> None:
    bank = net.principal(session, "bankreporter")
    before = incidents.counts(session=session, principal=net.principal(session, "admin")).total
    cases = {
        "rsit_type": _bank_report(rsit_type="nonsense"),
        "became_aware_at": _bank_report(became_aware_at=NOW + timedelta(days=1)),
        "observables[0].value": _bank_report(
            observables=[ObservableIn(value="999.1.1.1", kind="ipv4")]
        ),
        "impact.sectors_affected[0]": _bank_report(impact={"sectors_affected": ["fishing"]}),
    }
    for field, data in cases.items():
        with pytest.raises(Invalid) as caught:
            incidents.report(session=session, principal=bank, data=data, now=NOW)
        assert field in [e.field for e in caught.value.errors], field
    after = incidents.counts(session=session, principal=net.principal(session, "admin")).total
    assert after == before


def test_queue_counts_and_filters(session: Session, net: Network) -> None:
    bank = net.principal(session, "bankreporter")
    sbp = net.principal(session, "sbp")
    for hours in (1, 30):
        incidents.report(
            session=session,
            principal=bank,
            data=_bank_report(
                became_aware_at=NOW - timedelta(hours=hours),
                started_at=None,
                severity="low",
                observables=[],
            ),
            now=NOW,
        )
    counts = incidents.counts(session=session, principal=sbp, now=NOW)
    assert counts.total == 2
    assert counts.by_status["new"] == 2
    assert counts.by_deadline["overdue"] == 1
    page = incidents.list_incidents(
        session=session, principal=sbp, filters=IncidentFilter(deadline="overdue"), now=NOW
    )
    assert len(page.items) == 1
    assert page.items[0].became_aware_at == NOW - timedelta(hours=30)
    by_due = incidents.list_incidents(session=session, principal=sbp, order="due", limit=1, now=NOW)
    assert by_due.items[0].next_due_at is not None
    assert by_due.next_cursor
    rest = incidents.list_incidents(
        session=session, principal=sbp, order="due", cursor=by_due.next_cursor, now=NOW
    )
    assert len(rest.items) == 1
    assert rest.items[0].id != by_due.items[0].id
    # Telco's users see none of the bank's incidents.
    telco = net.principal(session, "telco")
    assert incidents.counts(session=session, principal=telco, now=NOW).total == 0
