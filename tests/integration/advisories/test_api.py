"""The advisories API and the public CSAF provider directory, end to end over HTTP."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from certnet.advisories import csaf, csaf_checks
from certnet.advisories.api import wellknown_router
from certnet.core import clock
from tests.factories import Network
from tests.integration.advisories.conftest import advisory_data
from tests.unit.advisories.csaf_judge import csaf_errors, provider_errors


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The client, with the provider directory mounted at the site root as the app does."""
    app: Any = client.app
    if not any(getattr(r, "path", "").startswith("/.well-known/csaf") for r in app.routes):
        app.include_router(wellknown_router)
    return client


def _auth(net: Network, session: Session, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, user)}"}


def _create(api: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/v1/advisories", json=advisory_data(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _publish(api: TestClient, headers: dict[str, str], advisory_id: int) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/advisories/{advisory_id}/publish",
        json={"status": "final", "summary": "Initial version."},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    published: dict[str, Any] = response.json()
    return published


def test_author_publish_answer_over_the_api(
    api: TestClient, session: Session, net: Network
) -> None:
    national = _auth(net, session, "national")
    made = _create(api, national)
    assert made["status"] == "draft"
    assert made["tracking_id"].startswith("PKCERT-")
    preview = api.get(f"/api/v1/advisories/{made['id']}/preview", headers=national).json()
    assert preview["document"]["tracking"]["status"] == "draft"
    assert csaf_errors(preview) == []
    done = _publish(api, national, made["id"])
    assert {d["organisation_id"] for d in done["disseminations"]} == {
        net.orgs["First Bank"].id,
        net.orgs["Punjab IT Board"].id,
    }
    document = api.get(f"/api/v1/advisories/{made['id']}/csaf", headers=national).json()
    assert csaf_errors(document) == []
    assert csaf_checks.run(document) == []
    bank = _auth(net, session, "bankadmin")
    received = api.get("/api/v1/advisories/received", headers=bank).json()
    assert [d["tracking_id"] for d in received["items"]] == [made["tracking_id"]]
    answered = api.post(
        f"/api/v1/advisories/{made['id']}/answers",
        json={"status": "mitigated", "note": "WAF rule deployed"},
        headers=bank,
    )
    assert answered.status_code == 200, answered.text
    board = api.get(f"/api/v1/advisories/{made['id']}/answers", headers=national).json()
    assert {r["organisation_name"]: r["status"] for r in board["rows"]} == {
        "First Bank": "mitigated",
        "Punjab IT Board": None,
    }


def test_bad_input_is_a_problem_naming_the_field(
    api: TestClient, session: Session, net: Network
) -> None:
    national = _auth(net, session, "national")
    bad_product = advisory_data()
    bad_product["products"][0]["purl"] = "pkg:"
    response = api.post("/api/v1/advisories", json=bad_product, headers=national)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith("products.0.purl") for e in response.json()["errors"])
    response = api.post(
        "/api/v1/advisories",
        json=advisory_data(cvss_v3_vector="CVSS:3.1/AV:X"),
        headers=national,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cvss_v3_vector"
    response = api.post(
        "/api/v1/advisories", json=advisory_data(cves=["CVE-26-1"]), headers=national
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cves"


def test_constituents_cannot_author_or_publish(
    api: TestClient, session: Session, net: Network
) -> None:
    made = _create(api, _auth(net, session, "national"))
    bank = _auth(net, session, "bankadmin")
    assert api.post("/api/v1/advisories", json=advisory_data(), headers=bank).status_code == 403
    # A draft is not even visible to a constituent.
    refused = api.post(
        f"/api/v1/advisories/{made['id']}/publish", json={"status": "final"}, headers=bank
    )
    assert refused.status_code == 404


def test_provider_directory_serves_clear_advisories_only(
    api: TestClient, session: Session, net: Network
) -> None:
    national = _auth(net, session, "national")
    clear = _create(api, national, tlp="CLEAR", title="Acme Gateway: public advisory")
    amber = _create(api, national, tlp="AMBER")
    green = _create(api, national, tlp="GREEN")
    unpublished = _create(api, national, tlp="CLEAR", title="A draft not yet out")
    for item in (clear, amber, green):
        _publish(api, national, item["id"])

    metadata = api.get("/.well-known/csaf/provider-metadata.json")
    assert metadata.status_code == 200
    assert provider_errors(metadata.json()) == []
    assert metadata.json()["canonical_url"].endswith("/.well-known/csaf/provider-metadata.json")
    assert metadata.json()["publisher"]["name"] == "PKCERT CERT"

    year = clock.now().year
    clear_path = f"{year}/{csaf.filename(clear['tracking_id'])}"
    assert api.get("/.well-known/csaf/clear/index.txt").text == f"{clear_path}\n"
    changes = api.get("/.well-known/csaf/clear/changes.csv").text.splitlines()
    assert len(changes) == 1
    assert changes[0].startswith(f'"{clear_path}","{year}-')

    served = api.get(f"/.well-known/csaf/clear/{clear_path}")
    assert served.status_code == 200
    document = json.loads(served.content)
    assert csaf_errors(document) == []
    assert document["document"]["distribution"]["tlp"]["label"] == "WHITE"
    sha256 = api.get(f"/.well-known/csaf/clear/{clear_path}.sha256").text
    assert (
        sha256
        == f"{hashlib.sha256(served.content).hexdigest()}  {csaf.filename(clear['tracking_id'])}\n"
    )
    sha512 = api.get(f"/.well-known/csaf/clear/{clear_path}.sha512").text
    assert sha512.split()[0] == hashlib.sha512(served.content).hexdigest()

    # Nothing that is not TLP:CLEAR, and no draft, is reachable there — by any name.
    for other in (amber, green, unpublished):
        path = f"{year}/{csaf.filename(other['tracking_id'])}"
        for suffix in ("", ".sha256", ".sha512"):
            response = api.get(f"/.well-known/csaf/clear/{path}{suffix}")
            assert response.status_code == 404, (other["tlp"], suffix)
    assert api.get(f"/.well-known/csaf/amber/{year}/x.json").status_code == 404

    # Directory listings (requirement 14) name the same files, and nothing else.
    top = api.get("/.well-known/csaf/clear/")
    assert top.status_code == 200
    assert f'href="{year}/"' in top.text
    assert 'href="index.txt"' in top.text
    folder = api.get(f"/.well-known/csaf/clear/{year}/").text
    names = re.findall(r'href="([^"]+)"', folder)
    assert names == [
        f"{csaf.filename(clear['tracking_id'])}{s}" for s in ("", ".sha256", ".sha512")
    ]
    assert api.get("/.well-known/csaf/clear/1999/").status_code == 404


def test_raising_a_clear_advisory_takes_it_out_of_the_directory(
    api: TestClient, session: Session, net: Network
) -> None:
    national = _auth(net, session, "national")
    clear = _create(api, national, tlp="CLEAR")
    _publish(api, national, clear["id"])
    assert api.get("/.well-known/csaf/clear/index.txt").text != ""
    raised = api.patch(f"/api/v1/advisories/{clear['id']}", json={"tlp": "GREEN"}, headers=national)
    assert raised.status_code == 200
    assert api.get("/.well-known/csaf/clear/index.txt").text == ""
    lowered = api.patch(
        f"/api/v1/advisories/{clear['id']}", json={"tlp": "CLEAR"}, headers=national
    )
    assert lowered.status_code == 422
