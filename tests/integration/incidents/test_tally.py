"""The queue's counts of finished work come from a running tally: after every kind of change
they equal a live count of the same queue, for every kind of principal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.constituency.schemas import OrganisationUpdate
from certnet.incidents import service as incidents
from certnet.incidents.models import Incident, IncidentStatus, Severity
from certnet.incidents.schemas import IncidentFilter, IncidentReport
from tests.factories import SYSTEM, Network
from tests.integration.incidents.conftest import NOW

S = IncidentStatus
USERS = ("sbp", "pta", "national", "admin", "auditor", "telco", "bankreporter")


def _report(session: Session, net: Network, user: str, tlp: str) -> Incident:
    return incidents.report(
        session=session,
        principal=net.principal(session, user),
        data=IncidentReport(
            title=f"{tlp} incident of {user}",
            became_aware_at=NOW - timedelta(hours=1),
            rsit_class="availability",
            rsit_type="ddos",
            severity="low",
            tlp=tlp,
        ),
        now=NOW,
    )


def _both(session: Session, net: Network, **extra: Any) -> None:
    # Every severity: the same queue, but a filter the tally does not know, so counted live.
    live_filter = IncidentFilter(severity=list(Severity), **extra)
    for user in USERS:
        principal = net.principal(session, user)
        fast = incidents.counts(
            session=session, principal=principal, filters=IncidentFilter(**extra), now=NOW
        )
        live = incidents.counts(session=session, principal=principal, filters=live_filter, now=NOW)
        assert fast == live, user


def test_tally_matches_live_counts_through_every_change(session: Session, net: Network) -> None:
    made = [
        _report(session, net, user, tlp)
        for user in ("telco", "bankreporter")
        for tlp in ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
    ]
    _both(session, net)
    pta, sbp = net.principal(session, "pta"), net.principal(session, "sbp")
    telco_ones = [i for i in made if i.owner_cert_id == net.certs["ptacert"].id]
    for incident in telco_ones[:3]:
        for step in (S.TRIAGED, S.RESOLVED, S.CLOSED):
            incidents.transition(session=session, principal=pta, incident_id=incident.id, to=step)
    incidents.transition(
        session=session, principal=pta, incident_id=telco_ones[3].id, to=S.REJECTED, reason="no"
    )
    _both(session, net)
    incidents.escalate(session=session, principal=pta, incident_id=telco_ones[4].id, reason="up")
    incidents.merge(
        session=session, principal=pta, incident_id=telco_ones[4].id, into_id=telco_ones[0].id
    )
    _both(session, net)
    _both(session, net, tlp=["AMBER", "RED"])
    _both(session, net, handling_cert_id=net.certs["govcert"].id)
    incidents.unmerge(session=session, principal=pta, incident_id=telco_ones[4].id)
    bank_ones = [i for i in made if i not in telco_ones]
    incidents.transition(
        session=session, principal=sbp, incident_id=bank_ones[0].id, to=S.REJECTED, reason="x"
    )
    constituency.update_organisation(
        session=session,
        principal=SYSTEM,
        organisation_id=net.orgs["Telco One"].id,
        data=OrganisationUpdate(cert_id=net.certs["punjabcert"].id),
    )
    session.expire_all()
    _both(session, net)
    finished = incidents.counts(session=session, principal=net.principal(session, "admin"), now=NOW)
    assert finished.by_status["closed"] == 3
    # Two were rejected, but one is the telecom's AMBER+STRICT: not the National CERT's to see.
    assert finished.by_status["rejected"] == 1
