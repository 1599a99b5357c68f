"""The CERT queue in a real browser: counts per status and deadline state, filters, sorting,
keyboard navigation (j/k, x to tick, Enter to open) and bulk actions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from certnet.core import clock
from tests.e2e import incidents_support as support
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.incidents_support import IncidentsServer, console_errors, seed_report

pytestmark = pytest.mark.e2e
# The fixtures of the incidents server, found by pytest under these names.
incidents_server = support.incidents_server
incidents_context = support.incidents_context
ipage = support.ipage


def test_triage_the_queue_with_filters_keys_and_bulk_actions(
    ipage: Page, incidents_server: IncidentsServer
) -> None:
    page, server = ipage, incidents_server
    # Branch Services (banking, not CII) stays with the banking CERT; one is overdue.
    _, ddos = seed_report(
        server,
        "sbp",
        title="DDoS on the mobile banking API",
        rsit_class="availability",
        rsit_type="ddos",
        severity="critical",
        organisation_id=server.orgs["Branch Services"],
    )
    _, phishing = seed_report(
        server,
        "sbp",
        title="Phishing wave against branch customers",
        organisation_id=server.orgs["Branch Services"],
        became_aware_at=clock.now() - timedelta(hours=30),
    )
    _, scan = seed_report(
        server,
        "sbp",
        title="Port scans from a branch office host",
        rsit_class="information-gathering",
        rsit_type="scanner",
        severity="low",
        organisation_id=server.orgs["Branch Services"],
    )
    sign_in(page, "sbp")
    page.goto("/incidents")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(3)
    # Newest first.
    expect(rows.nth(0)).to_contain_text(scan)
    expect(page.locator(".chip-status-new b")).to_have_text("3")
    expect(page.locator(".chip-due-overdue b")).to_have_text("1")
    expect(page.locator("table.queue tr", has_text=phishing).locator(".due")).to_contain_text(
        "overdue"
    )

    # Filters: by RSIT class, then by the overdue chip.
    page.get_by_label("RSIT class").select_option("availability")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ddos)
    page.goto("/incidents")
    page.locator(".chip-due-overdue").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(phishing)
    # Sorting by a column's header: the most severe first, then the next deadline first.
    page.goto("/incidents")
    page.locator("table.queue th a", has_text="Severity").click()
    expect(page).to_have_url(re.compile(r"order=severity"))
    expect(rows.nth(0)).to_contain_text(ddos)
    expect(rows.nth(2)).to_contain_text(scan)
    page.locator("table.queue th a", has_text="Next deadline").click()
    expect(rows.nth(0)).to_contain_text(phishing)

    # Keyboard: j moves down, x ticks, k moves up, x ticks; then a bulk assignment.
    page.goto("/incidents")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("[data-selected]")).to_have_text("2")
    expect(page.locator("table.queue tr.selected")).to_have_count(2)
    screenshot(page, "incidents_queue_selected")
    page.locator("#bulk select[name='user_id']").select_option(label="Sbp")
    page.locator("#bulk").get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_contain_text("2 incidents changed")
    assigned = page.locator("table.queue tbody tr", has_text="Sbp")
    expect(assigned).to_have_count(2)
    expect(page.locator("table.queue tr", has_text=phishing)).not_to_contain_text("Sbp")

    # Bulk move to a status the workflow does not allow from "new": refused, and named.
    page.locator("thead [data-select-all]").check()
    expect(page.locator("[data-selected]")).to_have_text("3")
    page.locator("#bulk select[name='to']").select_option("closed")
    page.locator("#bulk").get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text("Refused")
    expect(page.locator(".chip-status-new b")).to_have_text("3")
    screenshot(page, "incidents_queue")

    # Enter opens the current row.
    page.goto("/incidents")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    expect(page.locator("h1")).to_contain_text(scan)
    assert console_errors(page) == []


def test_the_dashboard_plots_what_the_cert_sees(
    ipage: Page, incidents_server: IncidentsServer
) -> None:
    page, server = ipage, incidents_server
    seed_report(server, "telco", title="Malware on a base station controller",
                rsit_class="malicious-code", rsit_type="infected-system")  # fmt: skip
    sign_in(page, "national")
    page.goto("/incidents/dashboard")
    expect(page.get_by_role("heading", name="Incident dashboard")).to_be_visible()
    by_class = page.locator("#by-class svg.plot")
    expect(by_class).to_have_count(1)
    expect(page.locator("#by-class .legend")).to_contain_text("malicious-code")
    expect(page.locator("#by-sector .legend")).to_contain_text("telecom")
    assert page.locator("#by-class svg.plot rect").count() >= 1
    screenshot(page, "incidents_dashboard")
    assert console_errors(page) == []
