"""The console in a real browser against a real server: who sees what, signing in (with and
without an authenticator app), CSRF, lookup, adding a contact, minting an API token."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import TOTP_USER, LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e

ALL_ORGS = ("First Bank", "Branch Services", "Telco One", "Punjab IT Board")


def _org_names(page: Page) -> list[str]:
    return page.locator("table.nav-table tbody tr td:first-child a").all_inner_texts()


def test_sign_in_page_and_redirect_back(page: Page, live_server: LiveServer) -> None:
    page.goto("/organisations?sector=banking")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    screenshot(page, "login")
    page.get_by_label("Username").fill("national")
    page.get_by_label("Password").fill("Correct-Horse-42")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/organisations?sector=banking")
    assert sorted(_org_names(page)) == ["Branch Services", "First Bank"]


def test_national_analyst_sees_every_organisation(page: Page, live_server: LiveServer) -> None:
    # A blocked script or style (the pages run under a strict Content-Security-Policy) shows
    # up as a console error.
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    sign_in(page, "national")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    header = page.locator("header.topbar")
    expect(header).to_contain_text("National")
    expect(header).to_contain_text("PKCERT CERT")
    expect(header).to_contain_text("Analyst")
    # The tree shows every CERT, each box a link to its page.
    expect(page.locator("svg.tree a.tree-node")).to_have_count(len(live_server.certs))
    expect(page.locator(".tile").nth(1)).to_contain_text("4")
    screenshot(page, "dashboard")
    page.locator("svg.tree a.tree-node", has_text="sbpcert").click()
    expect(page.get_by_role("heading", name=re.compile("SBPCERT CERT"))).to_be_visible()
    screenshot(page, "cert")
    page.goto("/organisations")
    assert sorted(_org_names(page)) == sorted(ALL_ORGS)
    screenshot(page, "organisations")
    assert problems == []


def test_sectoral_analyst_sees_only_banking(page: Page) -> None:
    sign_in(page, "sbp")
    page.goto("/organisations")
    assert sorted(_org_names(page)) == ["Branch Services", "First Bank"]
    expect(page.locator("main")).not_to_contain_text("Telco One")


def test_bank_constituent_sees_only_its_organisation(page: Page) -> None:
    sign_in(page, "bankreporter")
    page.goto("/organisations")
    assert _org_names(page) == ["First Bank"]
    for other in ("Branch Services", "Telco One", "Punjab IT Board"):
        expect(page.locator("body")).not_to_contain_text(other)
    screenshot(page, "organisations_constituent")


def test_telco_cannot_open_first_bank(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "telco")
    response = page.goto(f"/organisations/{live_server.orgs['First Bank']}")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("First Bank")
    screenshot(page, "not_found")


def test_wrong_password_is_refused_with_a_message(page: Page) -> None:
    sign_in(page, "sbp", password="Wrong-Horse-42")
    expect(page.get_by_role("alert")).to_have_text("unknown user or wrong password")
    expect(page).to_have_url(re.compile(r"/login$"))
    screenshot(page, "login_failed")


def test_totp_sign_in(page: Page, live_server: LiveServer) -> None:
    sign_in(page, TOTP_USER)
    expect(page).to_have_url(re.compile(r"/login/totp"))
    # Until the code is given, the session opens nothing.
    page.goto("/organisations")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.goto("/login/totp")
    page.get_by_label("Code").fill(
        "000000" if pyotp.TOTP(live_server.totp_secret).now() != "000000" else "111111"
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("wrong code")
    screenshot(page, "totp")
    page.get_by_label("Code").fill(pyotp.TOTP(live_server.totp_secret).now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("header.topbar")).to_contain_text("Duty Officer")


def test_a_form_posted_without_its_token_is_rejected(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "sbp")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    target = f"/organisations/{live_server.orgs['First Bank']}/contacts"
    # The browser's cookies go along (as they would with a forged cross-site form)...
    response = page.request.post(
        target, form={"name": "Forged", "role": "security", "email": "x@example.pk"}
    )
    assert response.status == 403
    assert "Form rejected" in response.text()
    # ...and nothing was added.
    page.goto(f"/organisations/{live_server.orgs['First Bank']}")
    expect(page.locator("#contacts")).not_to_contain_text("Forged")


def test_lookup(page: Page) -> None:
    sign_in(page, "bankreporter")
    page.get_by_role("link", name="Lookup").click()
    page.get_by_role("searchbox").fill("203.0.113.7")
    page.get_by_role("searchbox").press("Enter")
    answer = page.locator("section.answer")
    expect(answer.locator("h2")).to_contain_text("First Bank")
    expect(answer).to_contain_text("203.0.113.0/24")
    chain = answer.locator("ol.chain li").all_inner_texts()
    assert [c.split()[0] for c in chain] == ["SBPCERT", "GOVCERT", "PKCERT"]
    screenshot(page, "lookup")
    # Telco One's address is not the bank's to know about.
    page.get_by_role("searchbox").fill("198.51.100.9")
    page.get_by_role("searchbox").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("No organisation you can see")


def test_add_a_contact_through_the_form(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "sbp")
    page.goto(f"/organisations/{live_server.orgs['Branch Services']}")
    form = page.get_by_role("form", name="Add a contact")
    form.get_by_label("Name").fill("Branch CISO")
    form.get_by_label("Role").select_option("head")
    form.get_by_label("E-mail").fill("ciso@branch.example.pk")
    form.get_by_label("TLP").select_option("GREEN")
    form.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("status")).to_have_text("Contact added.")
    row = page.locator("#contacts tr", has_text="Branch CISO")
    expect(row).to_contain_text("ciso@branch.example.pk")
    expect(row.locator(".tlp")).to_have_text("TLP:GREEN")
    screenshot(page, "organisation")


def test_a_constituent_reporter_gets_no_contact_form(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "bankreporter")
    page.goto(f"/organisations/{live_server.orgs['First Bank']}")
    expect(page.get_by_role("heading", name=re.compile("First Bank"))).to_be_visible()
    expect(page.get_by_role("form", name="Add a contact")).to_have_count(0)


def test_create_an_api_token(page: Page) -> None:
    sign_in(page, "pta")
    page.locator("a.who-name").click()
    form = page.get_by_role("form", name="Create an API token")
    form.get_by_label("Name").fill("SIEM connector")
    form.get_by_role("button", name="Create token").click()
    secret = page.locator("#token-secret").inner_text()
    assert secret.startswith("cnt_")
    screenshot(page, "token_created")
    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.ok
    assert me.json()["username"] == "pta"
    page.get_by_role("link", name="Done").click()
    row = page.locator("#tokens tr", has_text="SIEM connector")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#tokens tr", has_text="SIEM connector")).to_contain_text("revoked")
    screenshot(page, "account")
    refused = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401


def test_keyboard_moves_through_tables(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "national")
    page.goto("/organisations")
    page.keyboard.press("/")
    expect(page.get_by_label("Name contains")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr.current")).to_contain_text(sorted(ALL_ORGS)[1])
    page.keyboard.press("k")
    expect(page.locator("tr.current")).to_contain_text(sorted(ALL_ORGS)[0])
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{live_server.url}/organisations/{live_server.orgs['Branch Services']}"
    )


def test_audit_and_users_pages(page: Page) -> None:
    sign_in(page, "auditor")
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    screenshot(page, "audit")
    page.locator("header.topbar").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, "sbpadmin")
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.locator("main table")).to_contain_text("sbp")
    expect(page.locator("main table")).not_to_contain_text("telco")
    screenshot(page, "users")


def test_enrol_an_authenticator_app(page: Page) -> None:
    sign_in(page, "council")
    page.goto("/account")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("code[data-secret]").inner_text()
    screenshot(page, "totp_enrol")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_contain_text("Authenticator app enabled")
    expect(page.locator("main")).to_contain_text("enabled")
