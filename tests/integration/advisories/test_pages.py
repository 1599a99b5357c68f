"""The console pages: author with form errors beside their fields, preview, publish, and a
constituent answering in the portal."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.advisories.models import Advisory, AdvisoryAnswer, AnswerStatus
from tests.factories import Network
from tests.integration.web.helpers import signed_in

FORM = {
    "title": "Acme Gateway remote code execution",
    "summary": "Update now.",
    "tlp": "AMBER",
    "category": "csaf_security_advisory",
    "cves": "CVE-2026-10001, CVE-2026-10002",
    "cvss_v3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "answer_deadline": "2030-01-15T12:00",
    "products.0.vendor": "",
    "products.0.name": "",
    "products.0.status": "known_affected",
    "products.1.vendor": "Acme",
    "products.1.name": "Gateway",
    "products.1.versions": "vers:semver/>=2.0.0|<2.4.1",
    "products.1.fixed_version": "2.4.1",
    "products.1.cpe": "cpe:2.3:a:acme:gateway:*:*:*:*:*:*:*:*",
    "products.1.purl": "pkg:generic/acme/gateway",
    "products.1.status": "known_affected",
    "remediations.0.category": "vendor_fix",
    "remediations.0.details": "Update to 2.4.1.",
    "references.0.url": "https://acme.example/sa-1",
    "references.0.summary": "Vendor advisory",
}


def test_author_preview_publish_and_answer_in_the_console(
    client: TestClient, session: Session, net: Network
) -> None:
    token = signed_in(client, "national")
    assert client.get("/advisories/new").status_code == 200

    broken = {**FORM, "products.1.purl": "not-a-purl", "csrf_token": token}
    refused = client.post("/advisories/new", data=broken)
    assert refused.status_code == 422
    # The blank row 0 is dropped, so the error names the row the user now sees first.
    assert re.search(
        r'name="products\.0\.purl" value="not-a-purl"[^>]*aria-invalid="true"', refused.text
    )
    assert "not a package URL" in refused.text
    assert session.scalars(select(Advisory)).all() == []

    saved = client.post(
        "/advisories/new", data={**FORM, "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303
    page = saved.headers["location"]
    advisory_id = int(page.split("/")[2].split("?")[0])
    detail = client.get(page)
    assert "Draft saved." in detail.text
    assert "Publish and send" in detail.text
    preview = client.get(f"/advisories/{advisory_id}/preview")
    assert "Passes the" in preview.text
    assert "csaf_security_advisory" in preview.text

    published = client.post(
        f"/advisories/{advisory_id}/publish",
        data={"status": "final", "summary": "Initial version.", "csrf_token": token},
        follow_redirects=False,
    )
    assert published.status_code == 303
    detail = client.get(published.headers["location"])
    assert "First Bank" in detail.text
    assert "Punjab IT Board" in detail.text
    assert "Telco One" not in detail.text
    download = client.get(f"/advisories/{advisory_id}/csaf.json")
    assert download.headers["content-disposition"].endswith('.json"')

    client.cookies.clear()
    bank_token = signed_in(client, "bankreporter")
    listing = client.get("/advisories")
    assert "Advisories sent to you" in listing.text
    assert "Please answer" in listing.text
    mine = client.get(f"/advisories/{advisory_id}")
    assert "Your assets that match" in mine.text
    assert "Acme Gateway 2.3.0" in mine.text
    missing = client.post(
        f"/advisories/{advisory_id}/answer", data={"note": "", "csrf_token": bank_token}
    )
    assert missing.status_code == 422
    assert 'id="err-status"' in missing.text
    answered = client.post(
        f"/advisories/{advisory_id}/answer",
        data={"status": "patched", "note": "Done on all sites", "csrf_token": bank_token},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    stored = session.scalars(select(AdvisoryAnswer)).one()
    assert stored.status is AnswerStatus.PATCHED
    assert stored.organisation_id == net.orgs["First Bank"].id


def test_a_constituent_cannot_open_an_advisory_it_did_not_receive(
    client: TestClient, session: Session, net: Network
) -> None:
    token = signed_in(client, "national")
    saved = client.post(
        "/advisories/new", data={**FORM, "csrf_token": token}, follow_redirects=False
    )
    advisory_id = int(saved.headers["location"].split("/")[2].split("?")[0])
    client.post(
        f"/advisories/{advisory_id}/publish",
        data={"status": "final", "summary": "Initial version.", "csrf_token": token},
    )
    client.cookies.clear()
    signed_in(client, "telco")
    assert client.get(f"/advisories/{advisory_id}").status_code == 404
    assert client.get(f"/advisories/{advisory_id}/csaf.json").status_code == 404
