"""The operator surface: health, metrics, request ids in logs and audit, no secrets in logs,
the OpenAPI document, and problem+json on every error."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from httpx2 import Response
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.config import Settings
from certnet.core.logging import JsonFormatter
from certnet.core.models import AuditEntry
from certnet.db import migrate
from certnet.db.session import make_engine
from certnet.main import create_app
from tests.factories import PASSWORD, build_network


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """certnet's log records as the production JSON formatter writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("certnet")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_healthz_at_head(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["revision"] == body["head"] == migrate.head_revision()


@pytest.mark.parametrize("level", [None, "base"])
def test_healthz_behind_head_is_503(tmp_path: Path, level: str | None) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.sqlite3'}")
    if level is not None:
        migrate.upgrade(engine)
        command.downgrade(migrate.alembic_config(engine), level)
    with TestClient(create_app(Settings(), engine=engine)) as client:
        response = client.get("/healthz")
    engine.dispose()
    assert response.status_code == 503
    assert response.json()["revision"] is None
    assert response.json()["status"] == "unavailable"


def test_metrics_count_requests_by_route_template(session: Session, client: TestClient) -> None:
    net = build_network(session)
    token = _bearer(net.token(session, "sbp"))
    for cert in ("sbpcert", "bankcii"):
        client.get(f"/api/v1/certs/{net.certs[cert].id}", headers=token)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(response.text)
        if family.name == "certnet_http_requests"
        for s in family.samples
        if s.name == "certnet_http_requests_total"
    }
    assert counts[("GET", "/api/v1/certs/{cert_id}", "200")] == 2
    assert not any(str(net.certs["sbpcert"].id) in route.split("/") for _, route, _ in counts)


def test_request_id_echoed_logged_and_audited(
    session: Session, client: TestClient, log_lines: io.StringIO
) -> None:
    net = build_network(session)
    token = _bearer(net.token(session, "sbpadmin"))
    response = client.post(
        f"/api/v1/certs/{net.certs['sbpcert'].id}/contacts",
        json={"name": "Duty", "role": "duty_24_7", "email": "duty@sbp.example.pk"},
        headers={**token, "X-Request-ID": "trace-42.a_b"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == "trace-42.a_b"
    logged = [
        json.loads(line) for line in log_lines.getvalue().splitlines() if line.startswith("{")
    ]
    assert any(line.get("request_id") == "trace-42.a_b" for line in logged)
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "contact.create")
        .order_by(AuditEntry.seq.desc())
    )
    assert entry is not None
    assert entry.request_id == "trace-42.a_b"


@pytest.mark.parametrize("given", [None, "", "bad id with spaces", "x" * 65, "<script>"])
def test_malformed_request_id_is_replaced(client: TestClient, given: str | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    echoed = client.get("/healthz", headers=headers).headers["x-request-id"]
    assert echoed != given
    assert len(echoed) == 32
    int(echoed, 16)


def test_no_secret_in_logs(session: Session, client: TestClient, log_lines: io.StringIO) -> None:
    net = build_network(session)
    token = net.token(session, "sbpadmin")
    client.get("/api/v1/me", headers=_bearer(token))
    made = client.post(
        "/api/v1/users",
        json={
            "username": "newanalyst",
            "display_name": "New Analyst",
            "email": "new@example.pk",
            "role": "analyst",
            "cert_id": net.certs["sbpcert"].id,
            "password": "Secret-Passphrase-913",
        },
        headers=_bearer(token),
    )
    assert made.status_code == 201
    minted = client.post("/api/v1/tokens", json={"name": "siem"}, headers=_bearer(token))
    logs = log_lines.getvalue()
    assert logs.strip()
    for secret in (token, minted.json()["token"], "Secret-Passphrase-913", PASSWORD):
        assert secret not in logs


def test_openapi_is_3_1_and_valid(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def _assert_problem(response: Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert str(body["type"]).startswith("https://")
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    return body


def test_problem_json_shapes(session: Session, client: TestClient) -> None:
    net = build_network(session)
    reporter = _bearer(net.token(session, "telco"))
    admin = _bearer(net.token(session, "sbpadmin"))
    _assert_problem(client.get("/api/v1/certs"), 401)
    _assert_problem(client.get("/api/v1/certs", headers=_bearer("cnt_nope")), 401)
    _assert_problem(
        client.patch(
            f"/api/v1/organisations/{net.orgs['Telco One'].id}",
            json={"province": "punjab"},
            headers=reporter,
        ),
        403,
    )
    _assert_problem(client.get("/api/v1/certs/999999", headers=reporter), 404)
    _assert_problem(
        client.post(
            f"/api/v1/organisations/{net.orgs['First Bank'].id}/resources",
            json={"value": "203.0.113.0/24"},
            headers=admin,
        ),
        409,
    )
    invalid = _assert_problem(
        client.post("/api/v1/organisations", json={"name": "X"}, headers=admin), 422
    )
    fields = {e["field"] for e in invalid["errors"]}  # type: ignore[attr-defined]
    assert {"name", "cert_id", "sector"} <= fields
    cursor = _assert_problem(
        client.get("/api/v1/certs", params={"cursor": "@@"}, headers=admin), 422
    )
    assert cursor["errors"] == [{"field": "cursor", "reason": "not a cursor this API issued"}]
