"""responsible_for: the most specific claim wins, the chain reaches the top, policy applies."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from certnet.constituency import service
from certnet.core.errors import Invalid, NotFound
from tests.factories import SYSTEM, build_network


@pytest.mark.parametrize(
    ("query", "organisation", "matched"),
    [
        ("203.0.113.7", "First Bank", "203.0.113.0/24"),
        ("203.0.113.200", "Branch Services", "203.0.113.128/25"),
        ("2001:db8:100:5::1", "First Bank", "2001:db8:100::/48"),
        ("2001:db8:2ff::1", "Telco One", "2001:db8:200::/40"),
        ("AS64501", "Telco One", "AS64501"),
        ("64500", "First Bank", "AS64500"),
        ("www.branch.firstbank.example.pk", "Branch Services", "branch.firstbank.example.pk"),
        ("MAIL.FirstBank.example.pk.", "First Bank", "firstbank.example.pk"),
    ],
)
def test_most_specific_claim_wins(
    session: Session, query: str, organisation: str, matched: str
) -> None:
    build_network(session)
    result = service.responsible_for(session=session, principal=SYSTEM, query=query)
    assert result.organisation.name == organisation
    assert result.matched == matched
    assert result.escalation_chain[-1].short_name == "pkcert"
    assert result.escalation_chain[0].id == result.cert.id


def test_chain_follows_the_reporting_line(session: Session) -> None:
    build_network(session)
    result = service.responsible_for(session=session, principal=SYSTEM, query="203.0.113.7")
    assert [c.short_name for c in result.escalation_chain] == ["sbpcert", "govcert", "pkcert"]


def test_unclaimed_and_malformed(session: Session) -> None:
    build_network(session)
    with pytest.raises(NotFound):
        service.responsible_for(session=session, principal=SYSTEM, query="192.0.2.200")
    with pytest.raises(Invalid) as caught:
        service.responsible_for(session=session, principal=SYSTEM, query="not a domain!")
    assert caught.value.errors[0].field == "q"


def test_lookup_respects_the_access_policy(session: Session, client: TestClient) -> None:
    net = build_network(session)
    telco = net.token(session, "telco")
    bank = net.token(session, "bankreporter")
    # The telco's reporter may not learn who owns the bank's address.
    hidden = client.get(
        "/api/v1/lookup", params={"q": "203.0.113.7"}, headers={"Authorization": f"Bearer {telco}"}
    )
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    seen = client.get(
        "/api/v1/lookup", params={"q": "203.0.113.7"}, headers={"Authorization": f"Bearer {bank}"}
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["organisation"]["name"] == "First Bank"
    # The more specific /25 belongs to another organisation: the bank must not see it, and
    # must not be told its own /24 instead.
    nested = client.get(
        "/api/v1/lookup", params={"q": "203.0.113.200"}, headers={"Authorization": f"Bearer {bank}"}
    )
    assert nested.status_code == 404
