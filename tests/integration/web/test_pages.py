"""Console pages over the services: what each role sees, error pages, and the forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency.models import Contact, Resource
from certnet.core import clock
from certnet.identity.models import ApiToken, User
from certnet.incidents import service as incidents
from certnet.incidents.schemas import IncidentReport
from tests.factories import build_network
from tests.integration.web.helpers import csrf_token, signed_in

ALL_ORGS = ("First Bank", "Branch Services", "Telco One", "Punjab IT Board")


def _listed(html: str) -> set[str]:
    # Rows of the listing only (the header links to a constituent's own organisation too).
    return set(re.findall(r'<td><a href="/organisations/\d+">([^<]+)</a>', html))


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("national", set(ALL_ORGS)),
        ("sbp", {"First Bank", "Branch Services"}),
        ("bankreporter", {"First Bank"}),
        ("telco", {"Telco One"}),
    ],
)
def test_organisation_listing_follows_the_policy(
    session: Session, client: TestClient, username: str, expected: set[str]
) -> None:
    build_network(session)
    signed_in(client, username)
    page = client.get("/organisations")
    assert page.status_code == 200
    assert _listed(page.text) == expected
    for hidden in set(ALL_ORGS) - expected:
        assert hidden not in page.text
    # Filters go through the same service: a sector filter cannot widen the view.
    filtered = client.get("/organisations", params={"sector": "telecom"})
    assert _listed(filtered.text) == expected & {"Telco One"}


def test_a_constituent_sees_no_other_organisation_anywhere(
    session: Session, client: TestClient
) -> None:
    net = build_network(session)
    signed_in(client, "bankreporter")
    others = ("Branch Services", "Telco One", "Punjab IT Board")
    pages = [
        "/",
        "/organisations",
        f"/certs/{net.certs['sbpcert'].id}",
        f"/organisations/{net.orgs['First Bank'].id}",
        "/users",
        "/lookup?q=203.0.113.200",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        for other in others:
            assert other not in page.text, (path, other)


def test_dashboard_counts_and_tree(session: Session, client: TestClient) -> None:
    net = build_network(session)
    signed_in(client, "national")
    page = client.get("/")
    tiles = re.findall(r'<span class="tile-n">(\d+)</span>', page.text)
    assert tiles[:4] == ["7", "4", "1", "6"]  # CERTs, organisations, CII, prefixes
    nodes = re.findall(r'<a href="/certs/(\d+)" class="tree-node">', page.text)
    assert sorted(map(int, nodes)) == sorted(c.id for c in net.certs.values())
    client.cookies.clear()
    signed_in(client, "telco")
    narrow = client.get("/")
    assert re.findall(r'<span class="tile-n">(\d+)</span>', narrow.text)[:4] == ["3", "1", "0", "2"]
    shown = {int(n) for n in re.findall(r'<a href="/certs/(\d+)" class="tree-node">', narrow.text)}
    assert shown == {net.certs[s].id for s in ("ptacert", "govcert", "pkcert")}


def test_hidden_organisation_is_a_404_page(session: Session, client: TestClient) -> None:
    net = build_network(session)
    signed_in(client, "telco")
    page = client.get(f"/organisations/{net.orgs['First Bank'].id}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    assert "First Bank" not in page.text
    assert client.get(f"/certs/{net.certs['sbpcert'].id}").status_code == 404
    bad = client.get("/certs/not-a-number")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")


def test_console_pages_carry_security_headers(session: Session, client: TestClient) -> None:
    build_network(session)
    signed_in(client, "sbp")
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script: the policy would block it


def test_cert_page(session: Session, client: TestClient) -> None:
    net = build_network(session)
    signed_in(client, "national")
    page = client.get(f"/certs/{net.certs['sbpcert'].id}", params={"cii": "yes"})
    assert page.status_code == 200
    chain = re.search(r'<ol class="chain">(.*?)</ol>', page.text, re.S)
    assert chain is not None
    assert re.findall(r">(\w+ CERT)</a>", chain.group(1)) == [
        "SBPCERT CERT",
        "GOVCERT CERT",
        "PKCERT CERT",
    ]
    assert "BANKCII CERT" in page.text  # the CERT below
    assert _listed(page.text) == {"First Bank"}


def test_keyset_next_link(session: Session, client: TestClient) -> None:
    build_network(session)
    signed_in(client, "national")
    seen: list[str] = []
    path: str | None = "/organisations"
    for _ in range(10):
        assert path is not None
        page = client.get(path.replace("&amp;", "&"))
        seen += sorted(_listed(page.text))
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        path = found.group(1) if found else None
        if path is None:
            break
    assert sorted(seen) == sorted(ALL_ORGS)


def test_keyset_pages_of_a_long_listing(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_network(session)
    monkeypatch.setattr("certnet.constituency.views.PAGE_SIZE", 3)
    signed_in(client, "national")
    first = client.get("/organisations")
    assert len(_listed(first.text)) == 3
    found = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert found is not None
    second = client.get(found.group(1).replace("&amp;", "&"))
    assert _listed(second.text) | _listed(first.text) == set(ALL_ORGS)
    assert 'rel="next"' not in second.text


def test_add_contact(session: Session, client: TestClient) -> None:
    net = build_network(session)
    org_id = net.orgs["First Bank"].id
    token = signed_in(client, "sbp")
    form = {
        "csrf_token": token,
        "name": "Treasury desk",
        "role": "technical",
        "email": "treasury@firstbank.example.pk",
        "tlp": "GREEN",
        "valid_until": "",
        "phone": "",
    }
    done = client.post(f"/organisations/{org_id}/contacts", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Contact added." in page.text
    assert "treasury@firstbank.example.pk" in page.text
    assert session.scalar(select(Contact).where(Contact.name == "Treasury desk")) is not None


def test_invalid_contact_comes_back_with_field_errors(session: Session, client: TestClient) -> None:
    net = build_network(session)
    org_id = net.orgs["First Bank"].id
    token = signed_in(client, "sbp")
    form = {"csrf_token": token, "name": "Night desk", "role": "security", "email": "nope"}
    page = client.post(f"/organisations/{org_id}/contacts", data=form)
    assert page.status_code == 422
    assert 'class="field-error" id="err-email"' in page.text
    assert 'value="Night desk"' in page.text  # what was typed stays
    past = client.post(
        f"/organisations/{org_id}/contacts",
        data={**form, "email": "night@firstbank.example.pk", "valid_until": "2001-01-01"},
    )
    assert past.status_code == 422
    assert "is in the past" in past.text
    assert session.scalar(select(Contact).where(Contact.name == "Night desk")) is None


def test_refused_contact_leaves_nothing_behind(session: Session, client: TestClient) -> None:
    net = build_network(session)
    org_id = net.orgs["First Bank"].id
    token = signed_in(client, "bankreporter")
    assert 'aria-label="Add a contact"' not in client.get(f"/organisations/{org_id}").text
    form = {
        "csrf_token": token,
        "name": "Sneaky",
        "role": "security",
        "email": "sneaky@firstbank.example.pk",
    }
    page = client.post(f"/organisations/{org_id}/contacts", data=form)
    # The service flushed the row before it found the reporter may not edit; the savepoint
    # around the call must have taken it back.
    assert page.status_code == 403
    assert "may not add a contact" in page.text
    assert session.scalar(select(Contact).where(Contact.name == "Sneaky")) is None


def test_form_without_csrf_token_is_rejected(session: Session, client: TestClient) -> None:
    net = build_network(session)
    org_id = net.orgs["First Bank"].id
    signed_in(client, "sbp")
    form = {"name": "Forged", "role": "security", "email": "forged@example.pk"}
    missing = client.post(f"/organisations/{org_id}/contacts", data=form)
    wrong = client.post(f"/organisations/{org_id}/contacts", data={**form, "csrf_token": "x"})
    assert missing.status_code == wrong.status_code == 403
    assert "Form rejected" in missing.text
    assert session.scalar(select(Contact).where(Contact.name == "Forged")) is None


def test_add_resource_and_conflict(session: Session, client: TestClient) -> None:
    net = build_network(session)
    org_id = net.orgs["Branch Services"].id
    token = signed_in(client, "sbp")
    url = f"/organisations/{org_id}/resources"
    done = client.post(url, data={"csrf_token": token, "value": "AS64510"}, follow_redirects=False)
    assert done.status_code == 303
    assert "AS64510" in client.get(done.headers["location"]).text
    taken = client.post(url, data={"csrf_token": token, "value": "203.0.113.0/24"})
    assert taken.status_code == 409
    assert "already claimed by another organisation" in taken.text
    count = session.scalar(
        select(func.count()).select_from(Resource).where(Resource.organisation_id == org_id)
    )
    assert count == 3


def test_lookup_page(session: Session, client: TestClient) -> None:
    build_network(session)
    signed_in(client, "telco")
    own = client.get("/lookup", params={"q": "AS64501"})
    assert "Telco One" in own.text
    assert "PTACERT CERT" in own.text
    hidden = client.get("/lookup", params={"q": "203.0.113.7"})
    assert hidden.status_code == 200
    assert "No organisation you can see is responsible" in hidden.text
    assert "First Bank" not in hidden.text
    bad = client.get("/lookup", params={"q": "not a domain!"})
    assert bad.status_code == 422
    assert 'id="err-q"' in bad.text


def test_api_token_is_shown_once_and_works(session: Session, client: TestClient) -> None:
    build_network(session)
    token = signed_in(client, "pta")
    created = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "MISP sync", "write": "1"}
    )
    assert created.status_code == 201
    found = re.search(r'id="token-secret">(cnt_[^<]+)<', created.text)
    assert found is not None
    secret = found.group(1)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["username"] == "pta"
    account = client.get("/account")
    assert "MISP sync" in account.text
    assert secret not in account.text
    stored = session.scalar(select(ApiToken).where(ApiToken.name == "MISP sync"))
    assert stored is not None
    assert stored.scopes == ["read", "write"]
    revoked = client.post(
        f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    session.refresh(stored)
    assert stored.revoked_at is not None


def test_totp_enrolment(session: Session, client: TestClient) -> None:
    build_network(session)
    token = signed_in(client, "sbp")
    page = client.post("/account/totp", data={"csrf_token": token})
    assert page.status_code == 200
    found = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text)
    assert found is not None
    secret = found.group(1)
    assert "otpauth://totp/" in page.text
    assert "<svg" in page.text  # the QR code, drawn on the server
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    refused = client.post(
        "/account/totp/confirm", data={"csrf_token": token, "secret": secret, "code": wrong}
    )
    assert refused.status_code == 422
    assert secret in refused.text  # the same secret again, not a new one
    done = client.post(
        "/account/totp/confirm",
        data={"csrf_token": token, "secret": secret, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert done.status_code == 303
    user = session.scalar(select(User).where(User.username == "sbp"))
    assert user is not None
    assert user.totp_secret == secret


def test_password_change(session: Session, client: TestClient) -> None:
    build_network(session)
    token = signed_in(client, "sbp")
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "nope",
            "new_password": "Another-Horse-43",
            "repeat_password": "Another-Horse-43",
        },
    )
    assert wrong.status_code == 422
    assert 'id="err-current_password"' in wrong.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "Correct-Horse-42",
            "new_password": "Another-Horse-43",
            "repeat_password": "Another-Horse-43",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_users_page_and_create_user(session: Session, client: TestClient) -> None:
    net = build_network(session)
    token = signed_in(client, "sbpadmin")
    page = client.get("/users")
    assert 'aria-label="Add a user"' in page.text
    assert "telco" not in page.text
    form = {
        "csrf_token": token,
        "username": "night-shift",
        "display_name": "Night Shift",
        "email": "night@sbp.example.pk",
        "role": "analyst",
        "home": f"cert:{net.certs['sbpcert'].id}",
        "password": "Strong-Enough-42",
    }
    done = client.post("/users", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert "night-shift" in client.get(done.headers["location"]).text
    # Granting more power than one holds is refused, and the form says so.
    refused = client.post("/users", data={**form, "username": "boss", "role": "platform_admin"})
    assert refused.status_code == 403
    assert "only a platform admin" in refused.text
    assert session.scalar(select(User).where(User.username == "boss")) is None


def test_audit_page(session: Session, client: TestClient) -> None:
    build_network(session)
    signed_in(client, "auditor")
    page = client.get("/audit", params={"object_type": "organisation"})
    assert page.status_code == 200
    actions = set(re.findall(r"<code>([a-z_]+\.[a-z_]+)</code>", page.text))
    assert actions == {"organisation.create"}
    client.cookies.clear()
    signed_in(client, "sbp")
    refused = client.get("/audit")
    assert refused.status_code == 200
    assert "Your role does not read the audit chain" in refused.text
    assert "organisation.create" not in refused.text


def test_csrf_token_is_per_session(session: Session, client: TestClient) -> None:
    build_network(session)
    first = signed_in(client, "sbp")
    client.cookies.clear()
    second = signed_in(client, "sbp")
    assert first != second
    assert csrf_token(client.get("/account")) == second


def test_dashboard_counts_the_open_incidents_the_viewer_may_see(
    session: Session, client: TestClient
) -> None:
    net = build_network(session)
    incidents.report(
        session=session,
        principal=net.principal(session, "bankreporter"),
        data=IncidentReport(
            title="Credential phishing against staff",
            became_aware_at=clock.now() - timedelta(hours=1),
            rsit_class="fraud",
            rsit_type="phishing",
        ),
    )
    signed_in(client, "national")
    work = re.findall(r'<span class="tile-n">(\d+)</span>', client.get("/").text)[4:]
    assert work == ["1", "1", "0", "0"]  # open, new, stages overdue, stages due soon
    client.cookies.clear()
    signed_in(client, "telco")
    assert re.findall(r'<span class="tile-n">(\d+)</span>', client.get("/").text)[4:] == [
        "0",
        "0",
        "0",
        "0",
    ]
