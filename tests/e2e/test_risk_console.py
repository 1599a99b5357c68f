"""Risk in a real browser: an analyst imports KEV and a CVE record and a constituent's
assets; the register shows the result with its plot; the constituent moves its measure in
the portal."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, running_server, screenshot, sign_in
from tests.e2e.risk_support import CSV, shared_file

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own server: its tests add assets and vulnerabilities to the network."""
    with running_server(tmp_path_factory.mktemp("risk-e2e")) as server:
        yield server


def _watch(page: Page, problems: list[str]) -> None:
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} ({message.location['url']})")
            if message.type == "error" and "status of 422" not in message.text
            else None
        ),
    )


def test_import_register_and_portal_measure(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    problems: list[str] = []
    _watch(page, problems)
    sign_in(page, "national")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Risk").click()
    expect(page.get_by_role("heading", name="Risk register")).to_be_visible()
    page.locator(".crumbs").get_by_role("link", name="Intelligence").click()

    page.get_by_label(re.compile("CVE JSON 5")).set_input_files(
        str(shared_file("kev/known_exploited_vulnerabilities.json"))
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#summary")).to_contain_text("Imported KEV")
    page.get_by_label(re.compile("CVE JSON 5")).set_input_files(
        str(shared_file("cve/CVE-2024-3400.json"))
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#summary")).to_contain_text("Imported CVE")
    expect(page.locator("#summary")).to_contain_text("0 rejected")
    screenshot(page, "risk-intel-import")

    page.locator(".crumbs").get_by_role("link", name="Assets").click()
    form = page.locator("#import-assets")
    form.get_by_label("Organisation").select_option(label="Telco One")
    form.get_by_label("File").set_input_files(str(CSV))
    form.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported.")
    expect(page.get_by_role("cell", name="Edge firewall")).to_be_visible()

    page.locator(".crumbs").get_by_role("link", name="Register").click()
    expect(page.locator("svg.stacked")).to_be_visible()
    immediate = page.locator('[data-priority="immediate"]')
    assert int(immediate.inner_text()) >= 1
    expect(page.get_by_role("cell", name="telecom")).to_be_visible()
    screenshot(page, "risk-register")

    portal_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1360, "height": 900}
    )
    portal = portal_context.new_page()
    _watch(portal, problems)
    sign_in(portal, "telco")
    portal.get_by_role("navigation", name="Main").get_by_role("link", name="Risk").click()
    expect(portal.locator(".crumbs").get_by_role("link", name="Intelligence")).to_have_count(0)
    portal.locator(".crumbs").get_by_role("link", name="Measures").click()
    row = portal.locator("tr", has=portal.get_by_text("CVE-2024-3400"))
    expect(row).to_contain_text("immediate")
    row.get_by_role("combobox").select_option("in_progress")
    row.get_by_role("button", name="Save").click()
    expect(portal.get_by_role("status")).to_contain_text("Measure updated.")
    expect(portal.locator("tr", has=portal.get_by_text("CVE-2024-3400"))).to_contain_text(
        "in progress"
    )
    screenshot(portal, "risk-portal-measures")
    # Accepting a risk without a reason is refused beside the measure.
    row = portal.locator("tr", has=portal.get_by_text("CVE-2024-3400"))
    row.get_by_role("combobox").select_option("risk_accepted")
    row.get_by_role("button", name="Save").click()
    expect(portal.get_by_role("alert")).to_contain_text("say why the risk is accepted")
    portal_context.close()
    assert problems == []
