"""POST /api/v1/constituency/import: a multipart upload, a JSON report, 422 on any bad row."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Organisation, Resource
from tests.factories import build_network
from tests.integration.constituency.test_import import GOOD_CSV

URL = "/api/v1/constituency/import"


def _orgs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Organisation)) or 0


def _upload(
    client: TestClient, token: str | None, content: str, name: str = "orgs.csv", **params: str
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        URL,
        params=params,
        files={"file": (name, content.encode(), "text/csv")},
        headers=headers,
    )


def test_dry_run_then_real_import(session: Session, client: TestClient) -> None:
    net = build_network(session)
    token = net.token(session, "national")
    before = _orgs(session)
    dry = _upload(client, token, GOOD_CSV, dry_run="true")
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["dry_run"] is True
    assert body["organisations_created"] == 2
    assert {o["name"]: o["action"] for o in body["organisations"]} == {
        "Indus Power": "created",
        "Karachi Grid": "created",
    }
    assert _orgs(session) == before
    real = _upload(client, token, GOOD_CSV)
    assert real.status_code == 200, real.text
    assert real.json()["resources_added"] == 5
    assert _orgs(session) == before + 2
    again = _upload(client, token, GOOD_CSV).json()
    assert (again["organisations_unchanged"], again["resources_added"]) == (2, 0)


def test_bad_rows_are_a_problem_listing_each(session: Session, client: TestClient) -> None:
    net = build_network(session)
    token = net.token(session, "national")
    resources = session.scalar(select(func.count()).select_from(Resource))
    bad = (
        GOOD_CSV + "Broken,ptacert,telecom,,,,,,10.0.0.1/8,,,,,,\nNo Cert,nope,power,,,,,,,,,,,,\n"
    )
    response = _upload(client, token, bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {e["field"] for e in problem["errors"]} == {"line 5: resources", "line 6: cert"}
    assert "nothing was written" in problem["detail"]
    # The good rows before the bad ones were not written either.
    assert session.scalar(select(func.count()).select_from(Resource)) == resources
    assert session.scalar(select(Organisation).where(Organisation.name == "Indus Power")) is None


def test_json_upload_detected_by_content(session: Session, client: TestClient) -> None:
    net = build_network(session)
    token = net.token(session, "sbp")
    document = '[{"name": "Quetta Savings", "cert": "sbpcert", "sector": "banking"}]'
    response = _upload(client, token, document, name="upload.bin")
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "json"


def test_who_may_import(session: Session, client: TestClient) -> None:
    net = build_network(session)
    before = _orgs(session)
    anonymous = _upload(client, None, GOOD_CSV)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    read_only = net.token(session, "national", scopes=("read",))
    assert _upload(client, read_only, GOOD_CSV).status_code == 403
    constituent = net.token(session, "bankadmin")
    assert _upload(client, constituent, GOOD_CSV).status_code == 403
    # A sectoral CERT's analyst may not import into another sector's CERT.
    sbp = net.token(session, "sbp")
    other = _upload(client, sbp, GOOD_CSV)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "line 2: cert"
    assert _orgs(session) == before
