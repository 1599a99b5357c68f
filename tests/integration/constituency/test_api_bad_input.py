"""Bad input to the constituency API: a 4xx problem+json naming the field, and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.config import Settings
from certnet.constituency import service
from certnet.constituency.models import Cert, Contact, ContactRole, Organisation, Resource
from certnet.constituency.schemas import ContactCreate
from certnet.core import clock
from certnet.core.errors import Invalid, NotFound
from certnet.main import create_app
from tests.factories import SYSTEM, Network, build_network

API = "/api/v1"


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _problem(response: Any, status: int, field: str) -> str:
    """Assert a problem+json with ``status`` naming ``field``; return that field's reason."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    reasons = {e["field"]: e["reason"] for e in body.get("errors", [])}
    assert field in reasons, body
    return reasons[field]


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


@pytest.fixture
def national(session: Session, net: Network) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, 'national')}"}


@pytest.mark.parametrize(
    ("value", "kind", "says"),
    [
        ("203.0.113.1/24", "prefix", "host bits"),
        ("203.0.113.0/33", "prefix", "not a valid IP prefix"),
        ("2001:db8::/129", "prefix", "not a valid IP prefix"),
        ("AS4294967296", "asn", "not a valid AS number"),
        ("ASX1", "asn", "not a valid AS number"),
        ("bad_domain!.pk", "domain", "not a valid domain"),
        ("localhost", "domain", "not a valid domain"),
        ("999.1.1.1/8", None, "not a valid IP prefix"),
    ],
)
def test_malformed_claims(
    session: Session,
    client: TestClient,
    net: Network,
    national: dict[str, str],
    value: str,
    kind: str | None,
    says: str,
) -> None:
    before = _count(session, Resource)
    body: dict[str, Any] = {"value": value} | ({"kind": kind} if kind else {})
    response = client.post(
        f"{API}/organisations/{net.orgs['Telco One'].id}/resources", json=body, headers=national
    )
    assert says in _problem(response, 422, "value")
    assert _count(session, Resource) == before


def test_the_same_exact_prefix_twice_is_a_conflict(
    session: Session, client: TestClient, net: Network, national: dict[str, str]
) -> None:
    before = _count(session, Resource)
    url = f"{API}/organisations/{net.orgs['Telco One'].id}/resources"
    # First Bank holds 203.0.113.0/24 and 2001:db8:100::/48; a non-canonical spelling is the same.
    for value in ("203.0.113.0/24", "2001:0DB8:0100::/48", "as64500", "FirstBank.example.PK."):
        response = client.post(url, json={"value": value}, headers=national)
        assert "already claimed by another organisation" in _problem(response, 409, "value")
    assert _count(session, Resource) == before
    # A more specific prefix inside another organisation's is fine (a customer of an ISP).
    nested = client.post(url, json={"value": "203.0.113.64/26"}, headers=national)
    assert nested.status_code == 201, nested.text


def test_a_cycle_in_the_reporting_line_is_refused(
    session: Session, client: TestClient, net: Network, national: dict[str, str]
) -> None:
    govcert, fedcert = net.certs["govcert"], net.certs["fedcert"]
    for parent in (fedcert, govcert):  # below it, and itself
        response = client.patch(
            f"{API}/certs/{govcert.id}", json={"parent_id": parent.id}, headers=national
        )
        assert "cycle" in _problem(response, 422, "parent_id")
    session.refresh(govcert)
    assert govcert.parent_id == net.certs["pkcert"].id


def test_a_tier_not_allowed_under_that_parent(
    session: Session, client: TestClient, net: Network, national: dict[str, str]
) -> None:
    before = _count(session, Cert)
    body = {"name": "Misplaced CII CERT", "short_name": "misplaced", "tier": "cii"}
    under_federal = body | {"parent_id": net.certs["fedcert"].id}
    response = client.post(f"{API}/certs", json=under_federal, headers=national)
    assert "cannot sit under a federal" in _problem(response, 422, "parent_id")
    unknown_tier = body | {"tier": "galactic", "parent_id": net.certs["pkcert"].id}
    response = client.post(f"{API}/certs", json=unknown_tier, headers=national)
    assert "galactic" in _problem(response, 422, "tier")
    second_national = body | {"tier": "national", "short_name": "pkcert-two"}
    response = client.post(f"{API}/certs", json=second_national, headers=national)
    _problem(response, 409, "tier")
    # Moving a CERT under a parent its tier does not allow is refused as well.
    moved = client.patch(
        f"{API}/certs/{net.certs['bankcii'].id}",
        json={"parent_id": net.certs["fedcert"].id},
        headers=national,
    )
    _problem(moved, 422, "parent_id")
    assert _count(session, Cert) == before


def test_duplicate_names_are_conflicts(
    session: Session, client: TestClient, net: Network, national: dict[str, str]
) -> None:
    orgs, certs = _count(session, Organisation), _count(session, Cert)
    body = {"name": "FIRST BANK", "cert_id": net.certs["sbpcert"].id, "sector": "banking"}
    response = client.post(f"{API}/organisations", json=body, headers=national)
    assert "already taken" in _problem(response, 409, "name")
    renamed = client.patch(
        f"{API}/organisations/{net.orgs['Telco One'].id}",
        json={"name": "first bank"},
        headers=national,
    )
    _problem(renamed, 409, "name")
    cert = {
        "name": "SBPCERT CERT",
        "short_name": "sbp-two",
        "tier": "sectoral",
        "parent_id": net.certs["govcert"].id,
        "sector": "banking",
    }
    _problem(client.post(f"{API}/certs", json=cert, headers=national), 409, "name")
    handle = cert | {"name": "Another Banking CERT", "short_name": "sbpcert"}
    _problem(client.post(f"{API}/certs", json=handle, headers=national), 409, "short_name")
    assert (_count(session, Organisation), _count(session, Cert)) == (orgs, certs)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sector": "fishing"}, "sector"),
        ({"sector": "banking", "province": "atlantis"}, "province"),
        ({"sector": "Banking Sector"}, "sector"),
        ({"sector": "banking", "cert_id": 999999}, "cert_id"),
        ({"sector": "banking", "name": "X"}, "name"),
        ({"sector": "banking", "colour": "blue"}, "colour"),
        (
            {
                "sector": "banking",
                "cii": {
                    "ministry": "Ministry of Finance",
                    "grade": "Z",
                    "designated_on": "2026-01-01",
                },
            },
            "cii.grade",
        ),
        (
            {
                "sector": "banking",
                "cii": {
                    "ministry": "Ministry of Finance",
                    "grade": "A",
                    "designated_on": "someday",
                },
            },
            "cii.designated_on",
        ),
    ],
)
def test_bad_organisations(
    session: Session,
    client: TestClient,
    net: Network,
    national: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    before = _count(session, Organisation)
    full = {"name": "Sindh Microfinance", "cert_id": net.certs["sbpcert"].id} | body
    response = client.post(f"{API}/organisations", json=full, headers=national)
    _problem(response, 422, field)
    assert _count(session, Organisation) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "janitor"}, "role"),
        ({"phone": "call me"}, "phone"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"tlp": "PURPLE"}, "tlp"),
        ({"tlp": "AMBER", "recipients": {"user_ids": [1]}}, "request"),
    ],
)
def test_bad_contacts(
    session: Session,
    client: TestClient,
    net: Network,
    national: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    before = _count(session, Contact)
    full = {"name": "Night Shift", "role": "security", "email": "night@firstbank.example.pk"}
    response = client.post(
        f"{API}/organisations/{net.orgs['First Bank'].id}/contacts",
        json=full | body,
        headers=national,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert field in fields or any(f.startswith(field) for f in fields), fields
    assert _count(session, Contact) == before


def test_an_expired_contact_is_never_a_silent_recipient(
    session: Session, net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = net.orgs["First Bank"]
    today = clock.now().date()
    temp = service.create_contact(
        session=session,
        principal=SYSTEM,
        organisation_id=bank.id,
        data=ContactCreate(
            name="Temporary SOC",
            role=ContactRole.SECURITY,
            email="temp@firstbank.example.pk",
            valid_until=today + timedelta(days=3),
        ),
    )
    later = datetime.combine(today + timedelta(days=10), datetime.min.time(), tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(Invalid) as caught:
        service.recipients(
            session=session, principal=SYSTEM, organisation_id=bank.id, contact_ids=[temp.id]
        )
    assert caught.value.errors[0].field == "contact_ids[0]"
    assert "expired" in caught.value.errors[0].reason
    # Chosen by role, the expired contact is left out; the valid one stays.
    chosen = service.recipients(session=session, principal=SYSTEM, organisation_id=bank.id)
    assert [c.email for c in chosen] == ["soc@first-bank.example.pk"]


def test_an_unknown_profile_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, db_engine: Any
) -> None:
    with pytest.raises(NotFound, match=r"unknown profile 'nope'; available: .*pk_cert_rules_2023"):
        create_app(Settings(profile="nope"), engine=db_engine)


def test_bad_query_parameters(
    session: Session, client: TestClient, net: Network, national: dict[str, str]
) -> None:
    response = client.get(f"{API}/organisations", params={"limit": 0}, headers=national)
    _problem(response, 422, "limit")
    response = client.get(f"{API}/organisations", params={"cursor": "garbage!"}, headers=national)
    _problem(response, 422, "cursor")
    response = client.get(f"{API}/lookup", params={"q": "not a domain!"}, headers=national)
    _problem(response, 422, "q")
