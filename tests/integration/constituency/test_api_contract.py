"""Contract tests for every constituency resource of the API (NetBox's ``APIViewTestCases``):
create, read, update, list (keyset pages: every item exactly once), and without permission
(no token → 401, read-only token → 403, a constituent → 403 or 404 as the policy answers).
Each case is one row of a table; every test runs for every row, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Cert, Contact, Organisation, Resource
from tests.factories import Network, build_network

API = "/api/v1"


@dataclass(frozen=True)
class Case:
    """How one resource behaves over the API."""

    name: str
    model: type[Any]
    #: Where to POST new items and GET the listing.
    collection: Callable[[Network], str]
    #: A valid new item; ``n`` makes it unique.
    body: Callable[[Network, int], dict[str, Any]]
    #: The URL of one item, if the API has one (else it is read through the listing).
    item: Callable[[int], str] | None
    #: The URL to PATCH and a change, if the resource can be changed.
    update: tuple[Callable[[int], str], dict[str, Any]] | None
    paginated: bool
    #: A user allowed to write this resource.
    writer: str


CASES = [
    Case(
        name="certs",
        model=Cert,
        collection=lambda net: f"{API}/certs",
        body=lambda net, n: {
            "name": f"Federal Unit {n} CERT",
            "short_name": f"fed-unit-{n}",
            "tier": "organisational",
            "parent_id": net.certs["fedcert"].id,
        },
        item=lambda i: f"{API}/certs/{i}",
        update=(lambda i: f"{API}/certs/{i}", {"operating_hours": "08:00-20:00 PKT"}),
        paginated=True,
        writer="national",
    ),
    Case(
        name="organisations",
        model=Organisation,
        collection=lambda net: f"{API}/organisations",
        body=lambda net, n: {
            "name": f"Constituent {n:03}",
            "cert_id": net.certs["sbpcert"].id,
            "sector": "banking",
        },
        item=lambda i: f"{API}/organisations/{i}",
        update=(lambda i: f"{API}/organisations/{i}", {"province": "sindh"}),
        paginated=True,
        writer="sbp",
    ),
    Case(
        name="contacts",
        model=Contact,
        collection=lambda net: f"{API}/organisations/{net.orgs['First Bank'].id}/contacts",
        body=lambda net, n: {
            "name": f"Analyst {n}",
            "role": "technical",
            "email": f"analyst{n}@firstbank.example.pk",
        },
        item=None,
        update=(lambda i: f"{API}/contacts/{i}", {"phone": "+92 21 1234567"}),
        paginated=False,
        writer="sbp",
    ),
    Case(
        name="resources",
        model=Resource,
        collection=lambda net: f"{API}/organisations/{net.orgs['First Bank'].id}/resources",
        body=lambda net, n: {"value": f"10.{n}.0.0/16"},
        item=None,
        update=None,
        paginated=True,
        writer="sbp",
    ),
]


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _listing(client: TestClient, url: str, token: str, limit: int | None = None) -> list[Any]:
    """Every item of a listing, following next_cursor page by page."""
    params: dict[str, Any] = {"limit": limit} if limit else {}
    response = client.get(url, params=params, headers=_auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    if isinstance(body, list):
        return body
    items = list(body["items"])
    while body["next_cursor"]:
        assert len(body["items"]) == limit
        params["cursor"] = body["next_cursor"]
        body = client.get(url, params=params, headers=_auth(token)).json()
        items += body["items"]
    return items


def _read(client: TestClient, case: Case, net: Network, token: str, ident: int) -> dict[str, Any]:
    if case.item is not None:
        response = client.get(case.item(ident), headers=_auth(token))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]
    found = [i for i in _listing(client, case.collection(net), token) if i["id"] == ident]
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def test_create_then_read(session: Session, client: TestClient, case: Case) -> None:
    net = build_network(session)
    token = net.token(session, case.writer)
    before = _count(session, case.model)
    body = case.body(net, 1)
    created = client.post(case.collection(net), json=body, headers=_auth(token))
    assert created.status_code == 201, created.text
    assert _count(session, case.model) == before + 1
    stored = _read(client, case, net, token, created.json()["id"])
    assert stored == created.json()
    for key, value in body.items():
        assert stored[key] == value


@pytest.mark.parametrize("case", [c for c in CASES if c.update], ids=lambda c: c.name)
def test_update(session: Session, client: TestClient, case: Case) -> None:
    assert case.update is not None
    net = build_network(session)
    token = net.token(session, case.writer)
    created = client.post(case.collection(net), json=case.body(net, 1), headers=_auth(token))
    url, change = case.update
    response = client.patch(url(created.json()["id"]), json=change, headers=_auth(token))
    assert response.status_code == 200, response.text
    stored = _read(client, case, net, token, created.json()["id"])
    for key, value in change.items():
        assert stored[key] == value


def test_list_pages_through_every_item_once(
    session: Session, client: TestClient, case: Case
) -> None:
    net = build_network(session)
    token = net.token(session, case.writer)
    made = {
        client.post(case.collection(net), json=case.body(net, n), headers=_auth(token)).json()["id"]
        for n in range(1, 8)
    }
    limit = 3 if case.paginated else None
    seen = [item["id"] for item in _listing(client, case.collection(net), token, limit)]
    assert len(seen) == len(set(seen)), "an item appeared on two pages"
    assert made <= set(seen)
    # Small pages hold exactly what one big page holds.
    whole = _listing(client, case.collection(net), token, 1000 if case.paginated else None)
    assert sorted(seen) == sorted(item["id"] for item in whole)


def test_without_permission(session: Session, client: TestClient, case: Case) -> None:
    net = build_network(session)
    before = _count(session, case.model)
    body = case.body(net, 1)
    for response in (
        client.get(case.collection(net)),
        client.post(case.collection(net), json=body),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
    read_only = net.token(session, case.writer, scopes=("read",))
    refused = client.post(case.collection(net), json=body, headers=_auth(read_only))
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    # A constituent of another organisation: not even told the target exists, or refused.
    telco = net.token(session, "telco")
    outsider = client.post(case.collection(net), json=body, headers=_auth(telco))
    assert outsider.status_code in (403, 404), outsider.text
    assert outsider.headers["content-type"] == "application/problem+json"
    assert _count(session, case.model) == before


def test_constituent_cannot_create_organisations_even_under_its_own_cert(
    session: Session, client: TestClient
) -> None:
    net = build_network(session)
    before = _count(session, Organisation)
    token = net.token(session, "telco")  # Telco One is served by ptacert
    body = {"name": "Telco Two", "cert_id": net.certs["ptacert"].id, "sector": "telecom"}
    response = client.post(f"{API}/organisations", json=body, headers=_auth(token))
    assert response.status_code == 403
    assert _count(session, Organisation) == before
