"""The feeds API end to end: upload a report, read the run, its quarantine and the events."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from certnet.feeds import service
from tests.factories import Network
from tests.integration.feeds.fakes import ScanTestParser, report, seen

CONTENT = report(
    [
        (seen(1), "203.0.113.7", 443, "", "http"),
        (seen(2), "203.0.113.7", 443, "", "http"),
        (seen(1), "198.51.100.9", 22, "", "ssh"),
        (seen(1), "999.1.2.3", 22, "", "ssh"),
        "broken,row",
    ]
)


@pytest.fixture(autouse=True)
def _test_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(service.PARSERS, "test", ScanTestParser)


class Upload(NamedTuple):
    status: int
    content_type: str
    body: dict[str, Any]


def _auth(net: Network, session: Session, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, user)}"}


def _upload(client: TestClient, headers: dict[str, str], **params: str) -> Upload:
    response = client.post(
        "/api/v1/feeds/ingest",
        params={"source": "test", **params},
        files={"file": ("scan_test.csv", CONTENT, "text/csv")},
        headers=headers,
    )
    return Upload(response.status_code, response.headers["content-type"], response.json())


def test_upload_then_read_run_quarantine_and_events(
    client: TestClient, session: Session, net: Network
) -> None:
    national = _auth(net, session, "national")
    response = _upload(client, national)
    assert response.status == 200, response.body
    summary = response.body
    assert (summary["rows"], summary["stored"], summary["duplicates"], summary["quarantined"]) == (
        5,
        2,
        1,
        2,
    )
    assert summary["report_type"] == "scan_test"
    assert summary["accounted"] is True

    run = client.get(f"/api/v1/feeds/runs/{summary['id']}", headers=national).json()
    assert run["state"] == "finished"
    runs = client.get("/api/v1/feeds/runs", headers=national).json()
    assert [r["id"] for r in runs["items"]] == [summary["id"]]
    quarantine = client.get(
        f"/api/v1/feeds/runs/{summary['id']}/quarantine", headers=national
    ).json()
    assert [(q["line"], q["field"], q["raw"]) for q in quarantine["items"]] == [
        (5, "source.ip", f"{seen(1)},999.1.2.3,22,,ssh"),
        (6, None, "broken,row"),
    ]
    events = client.get("/api/v1/feeds/events", headers=national).json()["items"]
    by_ip = {e["source_ip"]: e for e in events}
    assert by_ip["203.0.113.7"]["count"] == 2
    assert by_ip["203.0.113.7"]["organisation_id"] == net.orgs["First Bank"].id

    # A constituent sees its own event, nothing of the run.
    bank = _auth(net, session, "bankreporter")
    mine = client.get("/api/v1/feeds/events", headers=bank).json()["items"]
    assert [e["source_ip"] for e in mine] == ["203.0.113.7"]
    hidden = client.get(f"/api/v1/feeds/runs/{summary['id']}", headers=bank)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"

    again = _upload(client, national)
    assert again.body["already_ingested"] is True
    assert again.body["id"] == summary["id"]


def test_bad_uploads_are_problems(client: TestClient, session: Session, net: Network) -> None:
    national = _auth(net, session, "national")
    unknown_type = _upload(client, national, report_type="scan_nothing")
    assert unknown_type.status == 422
    assert unknown_type.content_type == "application/problem+json"
    assert "scan_test" in unknown_type.body["detail"]
    unknown_source = _upload(client, national, source="nobody")
    assert unknown_source.status == 422
    assert "nobody" in unknown_source.body["detail"]
    forbidden = _upload(client, _auth(net, session, "bankadmin"))
    assert forbidden.status == 403
    anonymous = _upload(client, {})
    assert anonymous.status == 401
    naive = client.get(
        "/api/v1/feeds/events", params={"seen_since": "2026-11-01T00:00:00"}, headers=national
    )
    assert naive.status_code == 422
    assert client.get("/api/v1/feeds/runs", headers=national).json()["items"] == []
