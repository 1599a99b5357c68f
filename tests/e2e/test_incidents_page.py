"""The incident page in a real browser, as the handling CERT's analyst: assign, move along the
workflow, tasks, observables (a malformed one named on the form), evidence with its chain of
custody, internal and public comments, escalation, and merging a duplicate then undoing it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import incidents_support as support
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.incidents_support import IncidentsServer, console_errors, seed_report

pytestmark = pytest.mark.e2e
# The fixtures of the incidents server, found by pytest under these names.
incidents_server = support.incidents_server
incidents_context = support.incidents_context
ipage = support.ipage


def test_handle_an_incident_from_its_page(ipage: Page, incidents_server: IncidentsServer) -> None:
    page, server = ipage, incidents_server
    incident_id, reference = seed_report(
        server,
        "pta",
        title="Malware beaconing from the billing servers",
        rsit_class="malicious-code",
        rsit_type="infected-system",
        organisation_id=server.orgs["Telco One"],
        observables=[{"value": "telco-c2.example.net"}],
    )
    duplicate_id, duplicate_ref = seed_report(
        server,
        "pta",
        title="Billing servers talk to a strange host",
        organisation_id=server.orgs["Telco One"],
    )
    sign_in(page, "pta")
    page.goto(f"/incidents/{incident_id}")
    expect(page.locator("h1")).to_contain_text(reference)

    # Assign, then start working on it.
    page.locator("#assign select").select_option(label="Pta")
    page.locator("#assign").get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Assignment changed.")
    expect(page.locator("#facts")).to_contain_text("Pta")
    page.locator("#transition select").select_option("triaged")
    page.locator("#transition").get_by_role("button", name="Change status").click()
    expect(page.locator(".incident-head .status")).to_have_text("triaged")

    # A malformed observable is named, and nothing is added.
    page.locator("#observables textarea").fill("198.51.100.77\n999.300.1.1")
    page.locator("#observables").get_by_role("button", name="Add observables").click()
    expect(page.locator("#observables .field-error")).to_contain_text("line 2")
    expect(page.locator("#observables table tbody tr")).to_have_count(1)
    page.locator("#observables textarea").fill("198.51.100.77")
    page.locator("#observables").get_by_role("button", name="Add observables").click()
    expect(page.locator("#observables table tbody tr")).to_have_count(2)

    # A task, ticked done.
    page.locator("#task").get_by_label("New task").fill("Isolate the billing servers")
    page.locator("#task").get_by_role("button", name="Add task").click()
    task = page.locator("#task li", has_text="Isolate the billing servers")
    task.get_by_role("button").click()
    expect(
        page.locator("#task li.task-done", has_text="Isolate the billing servers")
    ).to_have_count(1)

    # Evidence: upload, download, and the download is on its chain of custody.
    page.locator("#evidence input[type='file']").set_input_files(
        {"name": "pcap-summary.txt", "mimeType": "text/plain", "buffer": b"10.0.0.5 -> c2:443\n"}
    )
    page.locator("#evidence").get_by_role("button", name="Upload").click()
    expect(page.locator("#evidence table tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.locator("#evidence").get_by_role("link", name="pcap-summary.txt").click()
    assert download.value.suggested_filename == "pcap-summary.txt"
    page.reload()
    page.locator("#evidence details.custody summary").click()
    expect(page.locator("#evidence details.custody")).to_contain_text("pta")
    assert page.locator("#evidence details.custody li").count() >= 2

    # Comments: one internal, one for the organisation.
    page.locator("#comment textarea").fill("Looks like the same family as last month's.")
    page.locator("#comment").get_by_label("Internal note").check()
    page.locator("#comment").get_by_role("button", name="Add comment").click()
    page.locator("#comment textarea").fill("Please keep the servers powered on for forensics.")
    page.locator("#comment").get_by_role("button", name="Add comment").click()
    expect(page.locator("#comment article")).to_have_count(2)
    expect(page.locator("#comment article.internal")).to_have_count(1)

    # Merge the duplicate into this one, then undo it.
    page.goto(f"/incidents/{duplicate_id}")
    page.locator("#merge input[name='into_id']").fill(str(incident_id))
    page.locator("#merge").get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status")).to_have_text("Merged as a duplicate.")
    expect(page.locator(".incident-head .status")).to_have_text("duplicate")
    page.locator("#unmerge").get_by_role("button", name="Undo the merge").click()
    expect(page.locator(".incident-head .status")).not_to_have_text("duplicate")

    # Escalate up the line, with a reason; without one the form says so.
    page.goto(f"/incidents/{incident_id}")
    page.locator("#escalate select").select_option(label="govcert · GOVCERT CERT")
    page.locator("#escalate input[name='reason']").fill("Same malware at two operators")
    page.locator("#escalate").get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("status")).to_have_text("Escalated.")
    expect(page.locator("#facts")).to_contain_text("govcert")
    expect(page.locator("#timeline")).to_contain_text("govcert")
    screenshot(page, "incidents_page")

    # The organisation sees the public comment, never the internal note.
    page.context.clear_cookies()
    sign_in(page, "telco")
    page.goto(f"/incidents/{incident_id}")
    expect(page.locator("#comment article")).to_have_count(1)
    expect(page.locator("#comment")).to_contain_text("keep the servers powered on")
    expect(page.locator("#comment")).not_to_contain_text("last month")
    expect(page.locator("#actions")).to_have_count(0)
    page.locator("#comment textarea").fill("Understood, they stay on.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator("#comment article")).to_have_count(2)
    screenshot(page, "incidents_page_constituent")
    _ = duplicate_ref
    assert console_errors(page) == []
