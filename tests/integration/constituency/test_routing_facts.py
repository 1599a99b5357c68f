"""What pipelines read of the constituency as the installation: the top CERT, and each
organisation's CERT, sector and CII flag in one call."""

from __future__ import annotations

from sqlalchemy.orm import Session

from certnet.constituency import service
from certnet.constituency.service import RoutingFacts
from tests.factories import build_network


def test_routing_facts_and_the_top_cert(session: Session) -> None:
    net = build_network(session)
    assert service.top_cert_id(session=session) == net.certs["pkcert"].id
    bank, telco = net.orgs["First Bank"], net.orgs["Telco One"]
    facts = service.routing_facts(session=session, organisation_ids=[bank.id, telco.id, 10**9])
    assert facts == {
        bank.id: RoutingFacts(net.certs["sbpcert"].id, "banking", True),
        telco.id: RoutingFacts(net.certs["ptacert"].id, "telecom", False),
    }
    assert service.routing_facts(session=session, organisation_ids=[]) == {}
