"""The done-when story of the incidents, its mail-intake and browser parts, on SQLite and on
PostgreSQL: a telecom operator mails a report (a real SMTP conversation with ``certnet intake
smtp``); a bank reports through the portal with a shared observable and became aware 30 hours
ago (it is critical information infrastructure: the report goes up to the National CERT); the
banking sectoral CERT triages it from its queue; the shared observable links it to the telecom
incident; stage reports arrive — the first one late, the next one on time; a mail nobody could
read waits in the National CERT's intake quarantine until an analyst releases it."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from certnet.core import clock
from tests.e2e import incidents_support as support
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.incidents_support import IncidentsServer, console_errors, report_mail

pytestmark = pytest.mark.e2e
# The fixtures of the incidents server, found by pytest under these names.
incidents_server = support.incidents_server
incidents_context = support.incidents_context
ipage = support.ipage

SHARED_IP = "198.51.100.23"
KARACHI = ZoneInfo("Asia/Karachi")


def sign_out_and_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, username)


@pytest.mark.parametrize("incidents_server", ["sqlite", "postgresql"], indirect=True)
def test_a_bank_report_across_the_tiers(ipage: Page, incidents_server: IncidentsServer) -> None:
    page, server = ipage, incidents_server

    # 1. Telco One's reporter mails a report with the phishing host's address.
    code, reply = server.send_mail(
        report_mail(
            "Telco Reporter <telco@example.pk>",
            "Phishing site hosted in our network",
            f"A customer's site on our network serves a bank phishing kit.\n\nType: phishing\n"
            f"TLP: AMBER\nObservables:\n{SHARED_IP}\n",
        ),
        sender="telco@example.pk",
    )
    assert code == 250, reply
    telecom_ref = re.search(r"INC-\d{4}-\d{6}", reply)
    assert telecom_ref is not None, reply

    # 2. A mail nobody can tie to an organisation is kept, and the sender is told.
    code, reply = server.send_mail(
        report_mail(
            "partner@cert.example.org",
            "Heads-up: First Bank credentials on a paste site",
            "We saw First Bank credentials posted.\nType: data-leak\n",
        ),
        sender="partner@cert.example.org",
    )
    assert code == 550, reply
    assert "quarantine #" in reply

    # 3. First Bank's reporter uses the portal; they became aware 30 hours ago.
    sign_in(page, "bankreporter")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("heading", name="Our incidents")).to_be_visible()
    page.get_by_role("link", name="Report an incident").click()
    aware = (clock.now() - timedelta(hours=30)).astimezone(KARACHI)
    page.get_by_label("What happened, in one line").fill("Phishing site imitating our login page")
    page.get_by_label("When you became aware").fill(aware.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Kind of incident").select_option("fraud/phishing")
    page.get_by_label("high").check()
    page.get_by_label("Indicators").fill(f"{SHARED_IP}\nlogin-firstbank.example.com")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("Report received")
    bank_url = page.url.split("?", 1)[0]
    bank_path = bank_url.removeprefix(server.url)
    bank_ref = page.locator("h1 code.ref").inner_text()
    # Critical information infrastructure: the National CERT handles it.
    expect(page.locator("#facts")).to_contain_text("Handled by")
    expect(page.locator("#facts")).to_contain_text("pkcert")
    clocks = page.locator("table.clocks tbody tr")
    expect(clocks.first.locator(".stage")).to_have_text("overdue")
    screenshot(page, f"incidents_story_reported_{server.backend}")

    # 4. The stage reports: the first one late (past 24 h), the next one on time (72 h).
    stage_form = page.locator("#stage form")
    stage_form.locator("textarea").fill("Site taken down by the hoster; customers warned.")
    stage_form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("Stage report submitted")
    expect(clocks.nth(0).locator(".stage")).to_have_text("late")
    stage_form = page.locator("#stage form")
    stage_form.locator("textarea").fill("Full analysis: 214 customers entered credentials; reset.")
    stage_form.get_by_role("button").click()
    expect(clocks.nth(1).locator(".stage")).to_have_text("submitted")
    screenshot(page, f"incidents_story_stages_{server.backend}")

    # 5. The banking sectoral CERT triages it from its queue, with a bulk action.
    sign_out_and_in(page, "sbp")
    page.goto("/incidents")
    row = page.locator("table.queue tbody tr", has_text=bank_ref)
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("new")
    row.locator("input[name='ids']").check()
    page.locator("#bulk select[name='to']").select_option("triaged")
    page.locator("#bulk").get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text("1 incident changed")
    expect(page.locator("table.queue tbody tr", has_text=bank_ref).locator(".status")).to_have_text(
        "triaged"
    )
    screenshot(page, f"incidents_story_queue_{server.backend}")

    # 6. The shared address links it to the telecom incident; the banking CERT is told that
    #    the correlation exists, without the telecom incident's content.
    page.goto(bank_path)
    links = page.locator("#links")
    expect(links).to_contain_text("correlated")
    expect(links).not_to_contain_text(telecom_ref.group(0))

    # 7. The National CERT sees the whole picture: the escalated incident, the telecom one
    #    behind the link, and the mail waiting in its quarantine.
    sign_out_and_in(page, "national")
    page.goto("/incidents")
    expect(page.locator("table.queue tbody tr", has_text=bank_ref)).to_have_count(1)
    page.goto(bank_path)
    expect(page.locator("#links")).to_contain_text(telecom_ref.group(0))
    expect(page.locator("#timeline")).to_contain_text("scalat")
    page.goto("/incidents/dashboard")
    correlation = page.locator("#correlations tbody tr")
    expect(correlation).to_have_count(1)
    expect(correlation).to_contain_text(bank_ref)
    expect(correlation).to_contain_text(telecom_ref.group(0))
    screenshot(page, f"incidents_story_dashboard_{server.backend}")
    page.goto("/incidents/intake")
    held = page.locator("table.quarantine tbody tr")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("unknown sender")
    screenshot(page, f"incidents_intake_{server.backend}")
    held.get_by_role("link").first.click()
    expect(page.locator("pre.raw")).to_contain_text("First Bank credentials")
    screenshot(page, f"incidents_intake_mail_{server.backend}")
    page.get_by_label("Organisation the mail reports for").select_option(label="First Bank")
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status")).to_contain_text("Mail released as an incident")
    expect(page.locator("#facts")).to_contain_text("First Bank")
    expect(page.locator("#facts")).to_contain_text("via email")
    screenshot(page, f"incidents_story_released_{server.backend}")
    assert console_errors(page) == []
