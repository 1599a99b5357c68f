"""The risk API and console pages over the same services, on both engines: uploads, the
register, the measure's life, errors as problem+json and form errors, and who sees what."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.core import audit
from certnet.core.models import AuditEntry
from certnet.risk.models import Measure
from tests.factories import Network, build_network
from tests.integration.risk.support import KEV_FILE, cve, sample, shared
from tests.integration.web.helpers import csrf_token, signed_in


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


def _auth(net: Network, session: Session, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, user)}"}


def _upload(
    client: TestClient, headers: dict[str, str], name: str, content: bytes
) -> dict[str, Any]:
    response = client.post("/api/v1/vulns/import", headers=headers, files={"file": (name, content)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _seed(client: TestClient, session: Session, net: Network) -> None:
    national = _auth(net, session, "national")
    assert _upload(client, national, "kev.json", shared(KEV_FILE))["kind"] == "kev"
    assert _upload(client, national, "3400.json", cve("CVE-2024-3400"))["updated"] == 1
    response = client.post(
        "/api/v1/assets",
        headers=_auth(net, session, "pta"),
        json={
            "organisation_id": net.orgs["Telco One"].id,
            "name": "Edge firewall",
            "cpe": "cpe:2.3:o:paloaltonetworks:pan-os:10.2.5:*:*:*:*:*:*:*",
            "exposure": "open",
            "criticality": "high",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == "10.2.5"


def test_api_imports_matches_and_moves_a_measure(
    client: TestClient, session: Session, net: Network
) -> None:
    _seed(client, session, net)
    telco = _auth(net, session, "telco")
    measures = client.get("/api/v1/risk/measures", headers=telco).json()["items"]
    assert [(m["priority"], m["state"], m["due_basis"]) for m in measures] == [
        ("immediate", "open", "kev")
    ]
    measure_id = measures[0]["id"]
    moved = client.patch(
        f"/api/v1/risk/measures/{measure_id}", headers=telco, json={"state": "done"}
    )
    assert moved.status_code == 200
    assert moved.json()["state"] == "done"
    # Only the CERT verifies; the constituent is refused.
    refused = client.patch(
        f"/api/v1/risk/measures/{measure_id}", headers=telco, json={"state": "verified"}
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    verified = client.patch(
        f"/api/v1/risk/measures/{measure_id}",
        headers=_auth(net, session, "pta"),
        json={"state": "verified"},
    )
    assert verified.json()["state"] == "verified"
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "measure")
    ).all()
    assert list(actions) == ["risk.measure.change", "risk.measure.change"]
    register = client.get(
        "/api/v1/risk/register?level=nation", headers=_auth(net, session, "national")
    ).json()
    assert register["total"]["total"] == 0  # verified: no longer open


def test_api_errors_name_the_field(client: TestClient, session: Session, net: Network) -> None:
    pta = _auth(net, session, "pta")
    bad = client.post(
        "/api/v1/assets",
        headers=pta,
        json={"organisation_id": net.orgs["Telco One"].id, "name": "x", "cpe": "cpe:2.3:q:a"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cpe"
    wrong = client.post(
        "/api/v1/vulns/import",
        headers=_auth(net, session, "national"),
        files={"file": ("x.txt", b"hello")},
    )
    assert wrong.status_code == 422
    # A constituent may not import intelligence, nor touch another organisation's assets.
    forbidden = client.post(
        "/api/v1/vulns/import",
        headers=_auth(net, session, "telco"),
        files={"file": ("3400.json", cve("CVE-2024-3400"))},
    )
    assert forbidden.status_code == 403
    other = client.post(
        "/api/v1/assets",
        headers=_auth(net, session, "bankadmin"),
        json={
            "organisation_id": net.orgs["Telco One"].id,
            "name": "x",
            "purl": "pkg:pypi/django@4.2",
        },
    )
    assert other.status_code == 404


def test_override_is_recorded_and_changes_the_priority(
    client: TestClient, session: Session, net: Network
) -> None:
    _seed(client, session, net)
    pta = _auth(net, session, "pta")
    exposure = client.get("/api/v1/risk/exposures", headers=pta).json()["items"][0]
    assert exposure["deployer_decision"] == "immediate"
    changed = client.post(
        f"/api/v1/risk/exposures/{exposure['id']}/override",
        headers=pta,
        json={"overrides": {"system_exposure": "small"}, "reason": "behind the management VPN"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["system_exposure"], body["deployer_decision"]) == ("small", "out_of_cycle")
    assert body["override_reason"] == "behind the management VPN"
    measure = session.scalar(select(Measure).where(Measure.exposure_id == exposure["id"]))
    assert measure is not None
    assert measure.priority == "out_of_cycle"
    refused = client.post(
        f"/api/v1/risk/exposures/{exposure['id']}/override",
        headers=_auth(net, session, "telco"),
        json={"overrides": {"exploitation": "none"}, "reason": "we think so"},
    )
    assert refused.status_code == 403
    assert audit.verify(session=session).ok


def test_console_pages_register_upload_and_measure_form(
    client: TestClient, session: Session, net: Network
) -> None:
    _seed(client, session, net)
    token = signed_in(client, "national")
    page = client.get("/risk?level=sector")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "telecom" in page.text
    assert re.search(r'data-priority="immediate">1<', page.text)
    upload = client.post(
        "/risk/intel",
        data={"csrf_token": token},
        files={"file": ("epss.csv", sample("epss.csv"))},
    )
    assert upload.status_code == 200
    assert "CVE-2099-0001" in upload.text
    assert "line 6: epss" in upload.text
    bad_asset = client.post(
        "/risk/assets",
        data={
            "csrf_token": token,
            "organisation_id": str(net.orgs["Telco One"].id),
            "name": "Broken",
            "purl": "pkg:",
        },
    )
    assert bad_asset.status_code == 422
    assert 'id="err-purl"' in bad_asset.text
    for path in ("/risk/assets", "/risk/exposures", "/risk/measures", "/risk/intel"):
        assert client.get(path).status_code == 200, path


def test_portal_constituent_sees_only_itself_and_moves_its_measure(
    client: TestClient, session: Session, net: Network
) -> None:
    _seed(client, session, net)
    token = signed_in(client, "telco")
    page = client.get("/risk")
    assert page.status_code == 200
    assert "Telco One" in page.text
    measures = client.get("/risk/measures")
    found = re.search(r'action="/risk/measures/(\d+)"', measures.text)
    assert found is not None
    moved = client.post(
        f"/risk/measures/{found.group(1)}",
        data={"csrf_token": csrf_token(measures), "state": "in_progress"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    measure = session.get(Measure, int(found.group(1)))
    assert measure is not None
    assert measure.state.value == "in_progress"
    assert token
    assert "Intelligence" not in client.get("/risk/assets").text


def test_constituent_admin_keeps_its_assets_a_reporter_does_not(
    client: TestClient, session: Session, net: Network
) -> None:
    item = {
        "organisation_id": net.orgs["First Bank"].id,
        "name": "Core banking",
        "purl": "pkg:maven/org.apache.activemq/activemq-client@5.17.1",
    }
    admin = client.post("/api/v1/assets", headers=_auth(net, session, "bankadmin"), json=item)
    assert admin.status_code == 201, admin.text
    asset_id = admin.json()["id"]
    reporter = _auth(net, session, "bankreporter")
    assert client.post("/api/v1/assets", headers=reporter, json=item).status_code == 403
    changed = client.patch(
        f"/api/v1/assets/{asset_id}",
        headers=_auth(net, session, "bankadmin"),
        json={"exposure": "open"},
    )
    assert changed.json()["exposure"] == "open"
    # The telecom CERT's analyst does not see First Bank's asset at all.
    assert (
        client.get(f"/api/v1/assets/{asset_id}", headers=_auth(net, session, "pta")).status_code
        == 404
    )


def test_console_changes_an_asset_which_is_matched_again_and_removes_it(
    client: TestClient, session: Session, net: Network
) -> None:
    _seed(client, session, net)
    token = signed_in(client, "pta")
    listing = client.get(f"/risk/assets?organisation={net.orgs['Telco One'].id}")
    found = re.search(r'<a href="/risk/assets/(\d+)">Edge firewall</a>', listing.text)
    assert found is not None
    asset_path = f"/risk/assets/{found.group(1)}"
    page = client.get(asset_path)
    assert page.status_code == 200
    assert 'value="cpe:2.3:o:paloaltonetworks:pan-os:10.2.5:*:*:*:*:*:*:*"' in page.text
    assert len(_open_measures(session)) == 1

    bad = client.post(asset_path, data={"csrf_token": token, "name": "", "cpe": "cpe:2.3:x"})
    assert bad.status_code == 422
    assert 'id="err-' in bad.text

    # A fixed version: the exposure no longer stands, so its measure is no longer open work.
    fixed = "cpe:2.3:o:paloaltonetworks:pan-os:11.1.3:*:*:*:*:*:*:*"
    form = {
        "csrf_token": token,
        "name": "Edge firewall",
        "cpe": fixed,
        "version": "11.1.3",
        "exposure": "open",
        "criticality": "high",
    }
    changed = client.post(asset_path, data=form, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    assert _open_measures(session) == []
    assert client.get(asset_path).text.count("11.1.3") >= 1

    removed = client.post(
        f"{asset_path}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert client.get(asset_path).status_code == 404
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("risk.asset.%"))
    ).all()
    assert "risk.asset.update" in actions
    assert "risk.asset.delete" in actions


def test_another_organisation_cannot_open_or_change_the_asset_in_the_console(
    client: TestClient, session: Session, net: Network
) -> None:
    _seed(client, session, net)
    signed_in(client, "pta")
    listing = client.get("/risk/assets")
    found = re.search(r'<a href="/risk/assets/(\d+)">Edge firewall</a>', listing.text)
    assert found is not None
    client.cookies.clear()
    token = signed_in(client, "bankadmin")
    assert client.get(f"/risk/assets/{found.group(1)}").status_code == 404
    refused = client.post(
        f"/risk/assets/{found.group(1)}", data={"csrf_token": token, "name": "Mine now"}
    )
    assert refused.status_code == 404


def _open_measures(session: Session) -> list[Measure]:
    return [
        m
        for m in session.scalars(select(Measure).execution_options(populate_existing=True))
        if m.standing and m.state.value in ("open", "in_progress")
    ]
