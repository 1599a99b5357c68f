"""The constituent portal in a real browser, as First Bank's reporter: the report form (good
defaults, progressive disclosure, errors that name the field), following the organisation's
incidents, and the reporter's view of an incident."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from certnet.core import clock
from tests.e2e import incidents_support as support
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.incidents_support import IncidentsServer, console_errors

pytestmark = pytest.mark.e2e
# The fixtures of the incidents server, found by pytest under these names.
incidents_server = support.incidents_server
incidents_context = support.incidents_context
ipage = support.ipage

KARACHI = ZoneInfo("Asia/Karachi")


def test_a_title_is_all_a_report_needs(ipage: Page, incidents_server: IncidentsServer) -> None:
    """Everything else has a default: became aware now, kind undetermined, medium, AMBER."""
    page = ipage
    sign_in(page, "bankreporter")
    page.goto("/incidents/report")
    expect(page.locator("details.more")).not_to_have_attribute("open", "")
    page.get_by_label("What happened, in one line").fill("Suspicious logins on the admin portal")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("Report received")
    facts = page.locator("#facts")
    expect(facts).to_contain_text("other / undetermined")
    expect(facts).to_contain_text("via portal")
    expect(page.locator(".incident-head .tlp")).to_have_text("TLP:AMBER")
    expect(page.locator(".incident-head .sev")).to_have_text("medium")
    assert console_errors(page) == []


def test_errors_name_the_fields_and_keep_what_was_typed(
    ipage: Page, incidents_server: IncidentsServer
) -> None:
    page = ipage
    sign_in(page, "bankreporter")
    page.goto("/incidents/report")
    tomorrow = (clock.now() + timedelta(days=1)).astimezone(KARACHI)
    page.get_by_label("What happened, in one line").fill("x")
    page.get_by_label("When you became aware").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Indicators").fill("203.0.113.7\nnot an indicator at all\n")
    page.get_by_text("More details (optional)").click()
    page.get_by_label("Users affected").fill("many")
    page.get_by_role("button", name="Send report").click()

    summary = page.locator("#form-errors")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Users affected")
    # The form keeps what was typed, and the field in error is marked.
    expect(page.get_by_label("What happened, in one line")).to_have_value("x")
    expect(page.get_by_label("Users affected")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("details.more")).to_have_attribute("open", "")
    screenshot(page, "incidents_report_errors")

    # Fix the number: the title is too short.
    page.get_by_label("Users affected").fill("1200")
    page.get_by_role("button", name="Send report").click()
    expect(summary).to_contain_text("What happened")
    expect(page.locator("#err-title")).to_be_visible()

    # Fix the title: now the service's own checks speak, each beside its field.
    page.get_by_label("What happened, in one line").fill("ATM")
    page.get_by_role("button", name="Send report").click()
    expect(summary).to_contain_text("When you became aware")
    expect(summary).to_contain_text("Indicators")
    expect(page.locator("#err-observables")).to_contain_text("line 2")
    expect(page.locator("#err-became_aware_at")).to_be_visible()

    # Correct everything, add the optional details and a file, and send.
    page.get_by_label("What happened, in one line").fill("Card skimmers found at two ATMs")
    aware = (clock.now() - timedelta(hours=2)).astimezone(KARACHI)
    page.get_by_label("When you became aware").fill(aware.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Indicators").fill("203.0.113.7")
    page.get_by_label("Kind of incident").select_option("intrusions/burglary")
    page.get_by_label("Services affected").fill("ATM network, card payments")
    page.get_by_label("Affects other countries").check()
    page.get_by_label("Files").set_input_files(
        {"name": "atm-photo-notes.txt", "mimeType": "text/plain", "buffer": b"ATM 12, ATM 31\n"}
    )
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("Report received")
    expect(page.locator("#facts")).to_contain_text("services: ATM network, card payments")
    expect(page.locator("#facts")).to_contain_text("1200 users")
    expect(page.locator("#facts")).to_contain_text("cross-border")
    expect(page.locator("#evidence")).to_contain_text("atm-photo-notes.txt")
    expect(page.locator("#observables")).to_contain_text("203.0.113.7")
    reference = page.locator("h1 code.ref").inner_text()
    screenshot(page, "incidents_portal_incident")

    # The organisation's list shows it, with what is owed next.
    page.get_by_role("link", name="Our incidents").click()
    row = page.locator("table.queue tbody tr", has_text=reference)
    expect(row).to_have_count(1)
    expect(row.locator(".due")).to_contain_text("on track")
    screenshot(page, "incidents_portal")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    assert console_errors(page) == []


def test_a_constituent_sees_only_its_own_organisation(
    ipage: Page, incidents_server: IncidentsServer
) -> None:
    page, server = ipage, incidents_server
    telco_id, _ = support.seed_report(server, "telco", title="SIM swap fraud wave")
    sign_in(page, "bankreporter")
    page.goto("/incidents")
    expect(page.locator("table.queue")).not_to_contain_text("SIM swap")
    answer = page.goto(f"/incidents/{telco_id}")
    assert answer is not None
    assert answer.status == 404
    for staff_only in ("/incidents/intake", "/incidents/intake/1"):
        answer = page.goto(staff_only)
        assert answer is not None
        assert answer.status in (403, 404), staff_only
