"""The incidents API: the done-when story through HTTP, problem+json on bad input, evidence
with custody, merge and unmerge, rules only for the National CERT."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.config import Settings
from certnet.core import audit
from certnet.incidents.models import Incident
from tests.factories import Network


def _auth(session: Session, net: Network, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, user)}"}


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _report(now: datetime, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Card skimming malware on ATM switch",
        "description": "Malware found on the ATM switch; card data at risk.",
        "became_aware_at": _iso(now - timedelta(hours=1)),
        "rsit_class": "malicious-code",
        "rsit_type": "infected-system",
        "severity": "high",
        "tlp": "TLP:AMBER",
        "pap": "AMBER",
        "impact": {
            "services_affected": ["ATM network"],
            "users_affected": 12000,
            "data_affected": "financial",
        },
        "observables": [{"value": "198.51.100.23"}, {"value": "d41d8cd98f00b204e9800998ecf8427e"}],
        "attachments": [
            {
                "filename": "ransom-note.txt",
                "content_type": "text/plain",
                "content_base64": base64.b64encode(b"pay us").decode(),
            }
        ],
    }
    body.update(extra)
    return body


def test_done_when_story_through_the_api(
    client: TestClient, session: Session, net: Network, tmp_path: Path
) -> None:
    client.app.state.settings = Settings(var_dir=tmp_path)  # type: ignore[attr-defined]
    now = datetime.now(UTC).replace(microsecond=0)
    bank = _auth(session, net, "bankreporter")
    sbp = _auth(session, net, "sbp")
    pta = _auth(session, net, "pta")
    national = _auth(session, net, "national")

    # A telecom incident carries an address first.
    telco = client.post(
        "/api/v1/incidents",
        headers=_auth(session, net, "telco"),
        json={
            "title": "Scanning from a customer range",
            "became_aware_at": _iso(now - timedelta(hours=3)),
            "rsit_class": "information-gathering",
            "rsit_type": "scanner",
            "tlp": "GREEN",
            "observables": [{"value": "198.51.100.23"}],
        },
    )
    assert telco.status_code == 201, telco.text

    # The bank reports through the API (the portal form posts the same model).
    made = client.post("/api/v1/incidents", headers=bank, json=_report(now))
    assert made.status_code == 201, made.text
    incident = made.json()
    assert incident["owner_cert_id"] == net.certs["sbpcert"].id
    # First Bank is CII: the rule sends the incident to the National CERT.
    assert incident["handling_cert_id"] == net.certs["pkcert"].id
    ident = incident["id"]

    # The banking CERT triages.
    triaged = client.post(
        f"/api/v1/incidents/{ident}/transition", headers=sbp, json={"to": "triaged"}
    )
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["status"] == "triaged"

    # The shared observable links the telecom incident (GREEN: its title may be shown).
    links = client.get(f"/api/v1/incidents/{ident}/links", headers=sbp).json()
    assert [(link["kind"], link["other_incident_id"]) for link in links] == [
        ("correlated", telco.json()["id"])
    ]
    assert links[0]["other_title"] == "Scanning from a customer range"
    hits = client.get(
        "/api/v1/incidents/observables/lookup", headers=pta, params={"value": "198.51.100.023"}
    )
    # The telecom CERT finds its own incident only: the bank's is AMBER, not its tenancy.
    assert hits.status_code == 422  # a leading zero is not an IPv4 address
    hits = client.get(
        "/api/v1/incidents/observables/lookup", headers=pta, params={"value": "198.51.100.23"}
    ).json()
    assert [h["incident_id"] for h in hits] == [telco.json()["id"]]
    assert client.get(f"/api/v1/incidents/{ident}", headers=pta).status_code == 404

    # The National CERT sees it and its escalation on the timeline.
    timeline = client.get(f"/api/v1/incidents/{ident}/timeline", headers=national).json()
    escalations = [e for e in timeline if e["kind"] == "escalated"]
    assert escalations
    assert "critical information infrastructure" in escalations[0]["summary"]

    # Stage reports: on time.
    first = client.post(
        f"/api/v1/incidents/{ident}/stages/initial_report",
        headers=bank,
        json={"report": "ATM switch isolated; forensics engaged."},
    )
    assert first.status_code == 200, first.text
    states = {s["clock_id"]: s["state"] for s in first.json()}
    assert states["initial_report"] == "submitted"
    # A second submission of the same stage is refused, naming the field.
    again = client.post(
        f"/api/v1/incidents/{ident}/stages/initial_report", headers=bank, json={"report": "x"}
    )
    assert again.status_code == 422
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["errors"][0]["field"] == "clock_id"

    # Evidence came with the report: stored with SHA-256, every read logged.
    files = client.get(f"/api/v1/incidents/{ident}/evidence", headers=sbp).json()
    assert files[0]["sha256"] == hashlib.sha256(b"pay us").hexdigest()
    got = client.get(f"/api/v1/incidents/{ident}/evidence/{files[0]['id']}/content", headers=sbp)
    assert got.status_code == 200
    assert got.content == b"pay us"
    custody = client.get(
        f"/api/v1/incidents/{ident}/evidence/{files[0]['id']}/custody", headers=sbp
    ).json()
    assert [c["action"] for c in custody] == ["stored", "read"]

    # Counts per status and deadline state.
    counts = client.get("/api/v1/incidents/counts", headers=sbp).json()
    assert counts["by_status"]["triaged"] == 1
    assert counts["total"] == 1
    assert audit.verify(session=session).ok


def test_late_stage_is_marked_late(client: TestClient, session: Session, net: Network) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    bank = _auth(session, net, "bankreporter")
    made = client.post(
        "/api/v1/incidents",
        headers=bank,
        json=_report(now, became_aware_at=_iso(now - timedelta(hours=30)), attachments=[]),
    )
    assert made.status_code == 201, made.text
    late = client.post(
        f"/api/v1/incidents/{made.json()['id']}/stages/initial_report",
        headers=bank,
        json={"report": "Sorry, late."},
    ).json()
    assert {s["clock_id"]: s["state"] for s in late}["initial_report"] == "late"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rsit_class": "weather"}, "rsit_class"),
        ({"became_aware_at": "2999-01-01T00:00:00Z"}, "became_aware_at"),
        ({"observables": [{"value": "not an indicator"}]}, "observables[0].value"),
        ({"observables": [{"value": "abc", "kind": "sha256"}]}, "observables[0].value"),
        (
            {
                "attachments": [
                    {
                        "filename": "run.exe",
                        "content_type": "application/octet-stream",
                        "content_base64": "TVo=",
                    }
                ]
            },
            "attachments[0].filename",
        ),
        (
            {
                "attachments": [
                    {"filename": "a.html", "content_type": "text/html", "content_base64": "PGI+"}
                ]
            },
            "attachments[0].content_type",
        ),
        ({"tlp": "PURPLE"}, "tlp"),
        ({"certin_type": "alien_invasion"}, "certin_type"),
    ],
)
def test_bad_report_is_refused_naming_the_field(
    client: TestClient, session: Session, net: Network, change: dict[str, Any], field: str
) -> None:
    before = session.scalar(select(func.count()).select_from(Incident))
    response = client.post(
        "/api/v1/incidents",
        headers=_auth(session, net, "bankreporter"),
        json=_report(datetime.now(UTC), attachments=[]) | change,
    )
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert session.scalar(select(func.count()).select_from(Incident)) == before


def test_escalation_only_up_and_stage_refused_when_closed(
    client: TestClient, session: Session, net: Network
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    telco = _auth(session, net, "telco")
    pta = _auth(session, net, "pta")
    made = client.post(
        "/api/v1/incidents",
        headers=telco,
        json=_report(now, attachments=[], observables=[], severity="low"),
    ).json()
    ident = made["id"]
    assert made["handling_cert_id"] == net.certs["ptacert"].id
    # Not above: a sibling sectoral CERT.
    sideways = client.post(
        f"/api/v1/incidents/{ident}/escalate",
        headers=pta,
        json={"to_cert_id": net.certs["sbpcert"].id, "reason": "wrong place"},
    )
    assert sideways.status_code == 422
    assert sideways.json()["errors"][0]["field"] == "to_cert_id"
    up = client.post(
        f"/api/v1/incidents/{ident}/escalate", headers=pta, json={"reason": "needs government"}
    )
    assert up.status_code == 200
    assert up.json()["handling_cert_id"] == net.certs["govcert"].id
    # The constituent may not move the workflow.
    assert (
        client.post(
            f"/api/v1/incidents/{ident}/transition", headers=telco, json={"to": "triaged"}
        ).status_code
        == 403
    )
    for step in ("triaged", "resolved", "closed"):
        moved = client.post(f"/api/v1/incidents/{ident}/transition", headers=pta, json={"to": step})
        assert moved.status_code == 200, moved.text
    closed = client.post(
        f"/api/v1/incidents/{ident}/stages/initial_report", headers=telco, json={"report": "x"}
    )
    assert closed.status_code == 422
    assert closed.json()["errors"][0]["field"] == "status"


def test_merge_and_unmerge(client: TestClient, session: Session, net: Network) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    telco = _auth(session, net, "telco")
    pta = _auth(session, net, "pta")
    body = _report(now, attachments=[], observables=[], severity="low")
    first = client.post("/api/v1/incidents", headers=telco, json=body).json()["id"]
    second = client.post("/api/v1/incidents", headers=telco, json=body).json()["id"]
    client.post(f"/api/v1/incidents/{second}/transition", headers=pta, json={"to": "triaged"})
    merged = client.post(
        f"/api/v1/incidents/{second}/merge", headers=pta, json={"into_id": first}
    ).json()
    assert merged["status"] == "duplicate"
    assert merged["merged_into_id"] == first
    assert merged["next_due_at"] is None
    undone = client.post(f"/api/v1/incidents/{second}/unmerge", headers=pta).json()
    assert undone["status"] == "triaged"
    assert undone["merged_into_id"] is None
    assert undone["next_due_at"] is not None


def test_rules_are_the_national_certs(client: TestClient, session: Session, net: Network) -> None:
    rules = client.get("/api/v1/incidents/rules", headers=_auth(session, net, "sbp")).json()
    assert rules["source"] == "packaged"
    assert rules["rules"]["inform_parent_at"] == "high"
    changed = dict(rules["rules"], inform_parent_at="critical")
    refused = client.put(
        "/api/v1/incidents/rules", headers=_auth(session, net, "sbpadmin"), json=changed
    )
    assert refused.status_code == 403
    bad = client.put(
        "/api/v1/incidents/rules",
        headers=_auth(session, net, "national"),
        json=dict(changed, stages=["tea_break"]),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rules.stages.0"
    ok = client.put(
        "/api/v1/incidents/rules", headers=_auth(session, net, "national"), json=changed
    )
    assert ok.status_code == 200
    assert ok.json()["source"] == "stored"
    assert ok.json()["rules"]["inform_parent_at"] == "critical"


def test_playbooks_taxonomy_and_webhooks(
    client: TestClient, session: Session, net: Network
) -> None:
    national = _auth(session, net, "national")
    taxonomy = client.get("/api/v1/incidents/taxonomy", headers=national).json()
    assert len(taxonomy["certin"]) == 20
    assert "phishing" in taxonomy["rsit"]["fraud"]
    steps = [{"title": "Call the bank's CISO", "due_hours": 1}]
    bad = client.put("/api/v1/incidents/playbooks/fraud", headers=national, json=[{"due_hours": 0}])
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"steps.0.title", "steps.0.due_hours"}
    assert (
        client.put(
            "/api/v1/incidents/playbooks/fraud", headers=_auth(session, net, "sbp"), json=steps
        ).status_code
        == 403
    )
    ok = client.put("/api/v1/incidents/playbooks/fraud", headers=national, json=steps)
    assert ok.status_code == 200
    assert (
        client.get("/api/v1/incidents/playbooks", headers=national).json()["fraud"][0]["title"]
        == "Call the bank's CISO"
    )
    # A new fraud report gets the National CERT's playbook.
    made = client.post(
        "/api/v1/incidents",
        headers=_auth(session, net, "telco"),
        json=_report(
            datetime.now(UTC),
            rsit_class="fraud",
            rsit_type="phishing",
            attachments=[],
            observables=[],
            severity="low",
        ),
    ).json()
    tasks = client.get(f"/api/v1/incidents/{made['id']}/tasks", headers=_auth(session, net, "pta"))
    assert [t["title"] for t in tasks.json()] == ["Call the bank's CISO"]

    pta = _auth(session, net, "pta")
    hook = client.post(
        "/api/v1/incidents/webhooks",
        headers=pta,
        json={"url": "https://siem.telco.example/hook", "secret": "0123456789abcdef"},
    )
    assert hook.status_code == 201
    assert "secret" not in hook.json()
    assert [h["id"] for h in client.get("/api/v1/incidents/webhooks", headers=pta).json()] == [
        hook.json()["id"]
    ]
    assert client.get("/api/v1/incidents/webhooks", headers=_auth(session, net, "sbp")).json() == []
    bad_url = client.post(
        "/api/v1/incidents/webhooks",
        headers=pta,
        json={"url": "ftp://siem.example/x", "secret": "0123456789abcdef"},
    )
    assert bad_url.status_code == 422
    assert bad_url.json()["errors"][0]["field"] == "url"
