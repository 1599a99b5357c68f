"""Demo incidents in every state, across tiers: a CII bank's ransomware escalated to the
National CERT and correlated with a telecom incident through a shared address, stage reports
on time and one late, a rejected report, a duplicate merged into its original, and the rest of
the workflow. Everything goes through the incidents service (clocks, routing, audit).

Running the seed again changes nothing: the demo incidents carry a marker reporter name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.models import Organisation
from certnet.core.access import Principal
from certnet.incidents import service
from certnet.incidents.models import Channel, Incident, IncidentStatus
from certnet.incidents.schemas import CommentIn, IncidentReport, ObservableIn

MARKER = "certnet demo"
S = IncidentStatus

#: The path through the workflow to each demo state.
PATHS: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    S.NEW: (),
    S.TRIAGED: (S.TRIAGED,),
    S.IN_PROGRESS: (S.TRIAGED, S.IN_PROGRESS),
    S.CONTAINED: (S.TRIAGED, S.IN_PROGRESS, S.CONTAINED),
    S.RESOLVED: (S.TRIAGED, S.IN_PROGRESS, S.CONTAINED, S.RESOLVED),
    S.CLOSED: (S.TRIAGED, S.IN_PROGRESS, S.CONTAINED, S.RESOLVED, S.CLOSED),
    S.REJECTED: (S.REJECTED,),
}


@dataclass(frozen=True)
class DemoIncident:
    sector: str
    state: IncidentStatus
    hours_ago: int
    title: str
    rsit_class: str
    rsit_type: str
    severity: str
    tlp: str
    observables: tuple[str, ...] = ()
    cii: bool = False


SHARED_C2 = "203.0.113.66"

INCIDENTS = (
    DemoIncident(
        "banking",
        S.IN_PROGRESS,
        100,
        "Ransomware on branch file servers",
        "malicious-code",
        "infected-system",
        "critical",
        "AMBER",
        (
            SHARED_C2,
            "https://update-portal.example.net/agent.bin",
            "2b4c8e3f9a0d7e61c5b4a3928f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b",
        ),
        cii=True,
    ),
    DemoIncident(
        "telecom",
        S.CONTAINED,
        52,
        "Botnet C2 traffic from subscriber range",
        "malicious-code",
        "c2-server",
        "high",
        "AMBER+STRICT",
        (SHARED_C2,),
    ),
    DemoIncident(
        "telecom",
        S.NEW,
        2,
        "DDoS on DNS resolvers",
        "availability",
        "ddos",
        "high",
        "GREEN",
        ("198.51.100.53",),
    ),
    DemoIncident(
        "power",
        S.TRIAGED,
        20,
        "Phishing campaign against control-room staff",
        "fraud",
        "phishing",
        "medium",
        "AMBER",
        ("phish@grid-support.example.com",),
    ),
    DemoIncident(
        "government",
        S.RESOLVED,
        200,
        "Website defacement",
        "intrusions",
        "application-compromise",
        "medium",
        "CLEAR",
        ("http://portal.example.gov/",),
    ),
    DemoIncident(
        "health",
        S.NEW,
        5,
        "Patient records exposed on open share",
        "information-content-security",
        "data-leak",
        "high",
        "RED",
    ),
    DemoIncident(
        "media",
        S.CLOSED,
        900,
        "Spam sent through a compromised mail relay",
        "abusive-content",
        "spam",
        "low",
        "GREEN",
        ("relay.example-media.pk",),
    ),
    DemoIncident(
        "education",
        S.REJECTED,
        70,
        "Port scan from campus lab",
        "information-gathering",
        "scanner",
        "low",
        "GREEN",
    ),
    DemoIncident(
        "oil_gas",
        S.NEW,
        40,
        "Brute-force on VPN gateway",
        "intrusion-attempts",
        "brute-force",
        "medium",
        "AMBER",
        ("192.0.2.201",),
    ),
)


def _organisation(
    session: Session, principal: Principal, sector: str, cii: bool
) -> Organisation | None:
    page = constituency.list_organisations(
        session=session, principal=principal, sector=sector, cii=True if cii else None, limit=5
    )
    return page.items[0] if page.items else None


def seed(*, session: Session, principal: Principal, now: datetime) -> str:
    """Add the demo incidents on top of the demo network; a one-line summary."""
    existing = session.scalar(
        select(func.count()).select_from(Incident).where(Incident.reporter_name == MARKER)
    )
    if existing:
        return f"incidents: {existing} demo incidents already there, nothing changed"
    made: dict[int, Incident] = {}
    states: dict[str, int] = {}
    for position, demo in enumerate(INCIDENTS):
        org = _organisation(session, principal, demo.sector, demo.cii)
        if org is None:
            continue
        reported = now - timedelta(hours=demo.hours_ago)
        incident = service.report(
            session=session,
            principal=principal,
            data=IncidentReport(
                organisation_id=org.id,
                reporter_name=MARKER,
                title=demo.title,
                description=f"{demo.title} at {org.name} (demo data).",
                became_aware_at=reported - timedelta(hours=1),
                started_at=reported - timedelta(hours=6),
                rsit_class=demo.rsit_class,
                rsit_type=demo.rsit_type,
                severity=demo.severity,
                tlp=demo.tlp,
                observables=[ObservableIn(value=v) for v in demo.observables],
            ),
            channel=(Channel.PORTAL, Channel.EMAIL, Channel.API)[position % 3],
            now=reported,
        )
        made[position] = incident
        # Acting for the owning CERT: AMBER+STRICT is its own and its organisation's only.
        acting = replace(principal, cert_id=org.cert_id)
        for step, moved in enumerate(PATHS[demo.state], start=1):
            service.transition(
                session=session,
                principal=acting,
                incident_id=incident.id,
                to=moved,
                reason="not an incident: authorised scan" if moved is S.REJECTED else "",
                now=reported + timedelta(hours=2 * step),
            )
        # Stage reports: the first on time; the bank's detailed report came late.
        if demo.state not in (S.NEW, S.REJECTED, S.CLOSED):
            service.submit_stage(
                session=session,
                principal=acting,
                incident_id=incident.id,
                clock_id=service.stages(
                    session=session, principal=acting, incident_id=incident.id, now=now
                )[0].clock_id,
                report="Initial assessment: scope known, containment under way.",
                now=reported + timedelta(hours=3),
            )
        states[demo.state.value] = states.get(demo.state.value, 0) + 1
    bank = made.get(0)
    if bank is not None:
        stages = service.stages(session=session, principal=principal, incident_id=bank.id, now=now)
        if len(stages) > 1 and stages[1].due_at < now:
            service.submit_stage(
                session=session,
                principal=principal,
                incident_id=bank.id,
                clock_id=stages[1].clock_id,
                report="Detailed report: entry through an unpatched VPN appliance.",
                now=now - timedelta(minutes=30),
            )
        note = CommentIn(body="Please send the VPN appliance logs for the last 14 days.")
        service.add_comment(
            session=session, principal=principal, incident_id=bank.id, body=note.body, now=now
        )
        # A duplicate report of the same ransomware, merged into the first.
        org = session.get(Organisation, bank.organisation_id)
        if org is not None:
            duplicate = service.report(
                session=session,
                principal=principal,
                data=IncidentReport(
                    organisation_id=org.id,
                    reporter_name=MARKER,
                    title="Files encrypted at branch office (second report)",
                    became_aware_at=bank.became_aware_at + timedelta(hours=2),
                    rsit_class="malicious-code",
                    rsit_type="infected-system",
                    severity="high",
                    tlp="AMBER",
                ),
                channel=Channel.EMAIL,
                now=bank.reported_at + timedelta(hours=3),
            )
            service.merge(
                session=session,
                principal=principal,
                incident_id=duplicate.id,
                into_id=bank.id,
                reason="same ransomware outbreak",
                now=bank.reported_at + timedelta(hours=4),
            )
            states["duplicate"] = 1
    total = sum(states.values())
    listed = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    return f"incidents: {total} demo incidents ({listed})"
