"""The findings pages in a real browser: a constituent finds a notified finding with the
keyboard, marks it fixed with a note and sees it in the history; CERT staff read the
remediation plots and add a suppression rule. Every page under the strict CSP, no errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in
from tests.e2e.findings_support import seed_findings

pytestmark = pytest.mark.e2e

HOSTS = [("203.0.113.20", 3389), ("203.0.113.21", 3389), ("198.51.100.20", 3389)]


def _errors(page: Page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} ({message.location['url']})")
            if message.type == "error"
            else None
        ),
    )
    return problems


def test_a_constituent_answers_a_finding_and_staff_read_remediation(
    page: Page, live_server: LiveServer
) -> None:
    seed_findings(live_server, "scan_rdp", HOSTS)
    problems = _errors(page)

    sign_in(page, "bankadmin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Findings").click()
    expect(page.get_by_role("heading", name="Findings", exact=True)).to_be_visible()
    page.get_by_label("Report type").fill("scan_rdp")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.findings tbody tr")
    expect(rows).to_have_count(2)  # First Bank's two; Telco One's is not theirs
    expect(page.locator("table.findings")).not_to_contain_text("198.51.100.20")
    expect(rows.first).to_contain_text("notified")
    screenshot(page, "findings_list_constituent")

    # Keyboard: j selects the first row, Enter opens it.
    page.locator("body").press("j")
    expect(rows.first).to_have_class(re.compile("current"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/findings/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(":3389")
    expect(page.get_by_role("button", name="Verify fixed")).to_have_count(0)
    page.get_by_label("Note").fill("RDP closed at the firewall; VPN only")
    page.get_by_role("button", name="Mark fixed").click()
    expect(page.get_by_role("status")).to_contain_text("Finding marked fixed")
    expect(page.locator("h1 .state")).to_have_text("fixed")
    expect(page.locator("ol.timeline")).to_contain_text("RDP closed at the firewall; VPN only")
    expect(page.locator("ol.timeline li")).to_have_count(3)  # open, notified, fixed
    screenshot(page, "findings_answered")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "national")
    page.goto("/findings/remediation")
    expect(page.get_by_role("heading", name="Remediation", exact=True)).to_be_visible()
    expect(page.locator("svg.linechart")).to_have_count(1)
    expect(page.locator("svg.hbars").first).to_be_visible()
    screenshot(page, "findings_remediation")

    page.goto("/findings/notifications")
    expect(page.locator("table.notifications")).to_contain_text("soc@first-bank.example.pk")
    screenshot(page, "findings_notifications")

    page.goto("/findings/suppressions")
    page.get_by_label("Network").fill("198.51.100.16/28")
    page.get_by_label("Reason").fill("Telco One's RDP honeypot")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("Suppression rule added")
    expect(page.locator("table.rules")).to_contain_text("198.51.100.16/28")
    screenshot(page, "findings_suppressions")
    assert problems == []
