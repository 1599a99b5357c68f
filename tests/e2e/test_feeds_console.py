"""The feeds console in a real browser: upload Shadowserver samples through the form, follow
the run page to its quarantined rows, and read the events it stored."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in
from tests.shared_data import FEED_SAMPLES, shadowserver_file

pytestmark = pytest.mark.e2e

SAMPLES = FEED_SAMPLES
SCAN_DNS = SAMPLES / "2024-02-05-scan_dns-pk-geo.csv"
SCAN_HTTP = SAMPLES / "2024-02-05-scan_http-pk-geo.csv"
BAD_ADDRESS_ROW = "2024-02-05 10:00:00,info,999.1.2.3,tcp,80,,http,64500,PK,,,0,,,,,,,,,,,,,,"
UNOWNED_ROW = "2024-02-05 11:00:00,info,192.0.2.200,tcp,80,,http,64500,PK,,,0,,,,,,,,,,,,,,"


@pytest.fixture
def imported_schema(live_server: LiveServer) -> None:
    """The schema where the server looks for it, as ``certnet feeds schema import`` leaves
    it (the import's own checks and audit entry are tested with the CLI)."""
    schema_file = shadowserver_file("intelmq.json")
    target = live_server.var_dir / "shadowserver"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema_file, target / "intelmq.json")


@pytest.mark.usefixtures("imported_schema")
def test_upload_samples_and_read_the_run_and_its_events(page: Page, tmp_path: Path) -> None:
    problems: list[str] = []
    # A blocked script or style (the pages run under a strict Content-Security-Policy) shows
    # up as a console error (a missing favicon too).
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} ({message.location['url']})")
            if message.type == "error"
            else None
        ),
    )
    sign_in(page, "national")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feeds").click()
    expect(page.get_by_role("heading", name="Feed runs")).to_be_visible()

    # A sample as published, its report type chosen from the schema's list.
    page.get_by_label("Report file").set_input_files(SCAN_DNS)
    page.get_by_label("Report type").select_option("scan_dns")
    page.get_by_role("button", name="Ingest").click()
    expect(page).to_have_url(re.compile(r"/feeds/runs/\d+\?done=ingested$"))
    expect(page.get_by_role("status")).to_contain_text("Report ingested.")
    expect(page.locator("#quarantine")).to_contain_text("Nothing was quarantined")

    # The scan_http sample with a broken and an unowned row; the type is told from its name.
    report = tmp_path / SCAN_HTTP.name
    report.write_text(SCAN_HTTP.read_text() + BAD_ADDRESS_ROW + "\n" + UNOWNED_ROW + "\n")
    page.goto("/feeds")
    page.get_by_label("Report file").set_input_files(report)
    page.get_by_role("button", name="Ingest").click()
    expect(page).to_have_url(re.compile(r"/feeds/runs/\d+\?done=ingested$"))
    run_path = page.url.split("?", 1)[0].removeprefix(page.url.split("/feeds", 1)[0])
    expect(page.get_by_role("heading", level=1)).to_contain_text("scan_http")
    quarantined = page.locator("table.quarantine tbody tr")
    expect(quarantined).to_have_count(1)
    expect(quarantined.first.locator("td").nth(0)).to_have_text("4")
    expect(quarantined.first.locator("td").nth(1)).to_have_text("source.ip")
    expect(quarantined.first.locator("td").nth(3)).to_have_text(BAD_ADDRESS_ROW)
    assert quarantined.first.locator("td").nth(2).inner_text().strip()  # a reason is shown
    screenshot(page, "feeds_run")

    # Newest first, with the split of each run's rows.
    page.goto("/feeds")
    runs = page.locator("table.runs tbody tr")
    expect(runs).to_have_count(2)
    expect(runs.nth(0)).to_contain_text("scan_http")
    expect(runs.nth(1)).to_contain_text("scan_dns")
    expect(runs.nth(0).locator("svg.split-bar")).to_have_attribute(
        "aria-label", "3 stored, 0 duplicates, 1 quarantined"
    )
    screenshot(page, "feeds")

    # j then Enter opens the newest run, as on the other tables.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(run_path) + "$"))

    page.get_by_role("link", name="Events this run stored »").click()
    events = page.locator("table.events tbody tr")
    expect(events).to_have_count(3)
    expect(page.locator("table.events")).to_contain_text("Punjab IT Board")
    expect(events.filter(has_text="192.0.2.200:80")).to_contain_text("unowned")
    screenshot(page, "feeds_events")
    assert problems == []


@pytest.mark.usefixtures("imported_schema")
def test_an_unknown_report_type_is_shown_on_the_form(page: Page) -> None:
    sign_in(page, "national")
    page.goto("/feeds")
    page.get_by_label("Report file").set_input_files(
        {"name": "notes.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}
    )
    page.get_by_role("button", name="Ingest").click()
    expect(page.locator("#err-report_type")).to_contain_text("cannot tell which")
    screenshot(page, "feeds_upload_error")
