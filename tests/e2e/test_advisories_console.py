"""Advisories in a real browser: an analyst authors and publishes an advisory; a constituent
whose assets match finds it in the portal and answers; the analyst sees the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.advisories_support import Targets, advisory_targets
from tests.e2e.conftest import (
    LiveServer,
    fresh_postgres_database,
    running_server,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e
__all__ = ["advisory_targets"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """This module's own server, on each engine: its tests add organisations and assets to
    the network, which the other console tests count."""
    folder = tmp_path_factory.mktemp(f"advisories-e2e-{request.param}")
    with ExitStack() as stack:
        database = (
            stack.enter_context(fresh_postgres_database())
            if request.param == "postgresql"
            else None
        )
        yield stack.enter_context(running_server(folder, database))


def _watch(page: Page, problems: list[str]) -> None:
    # A blocked script or style (strict Content-Security-Policy) shows up as a console error.
    # A form sent back with its errors answers 422 on purpose: the browser logs that too.
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} ({message.location['url']})")
            if message.type == "error" and "status of 422" not in message.text
            else None
        ),
    )


def test_author_publish_and_answer(
    page: Page, browser: Browser, live_server: LiveServer, advisory_targets: Targets
) -> None:
    problems: list[str] = []
    _watch(page, problems)
    sign_in(page, "national")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Advisories").click()
    expect(page.get_by_role("heading", name="Advisories")).to_be_visible()
    page.get_by_role("link", name="New advisory").click()

    page.get_by_label("Title").fill("Remote code execution in Acme Gateway")
    page.get_by_role("textbox", name=re.compile(r"^Summary")).fill(
        "A crafted request lets an attacker run code. Update now."
    )
    page.get_by_label("TLP 2.0").select_option("AMBER")
    page.get_by_label("CVEs").fill("CVE-2026-10001")
    page.get_by_label("CVSS 3.x vector").fill("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    page.get_by_label("Answer by").fill("2030-01-15T12:00")
    page.get_by_label("Vendor, row 1").fill("Acme")
    page.get_by_label("Product, row 1").fill("Gateway")
    page.get_by_label("Affected versions, row 1").fill("vers:semver/>=2.0.0|<2.4.1")
    page.get_by_label("Fixed in, row 1").fill("2.4.1")
    # A mistake first: the error comes back beside the field, the rest kept.
    page.get_by_label("CPE, row 1").fill("cpe:/a:acme:gateway")
    page.get_by_label("What to do, row 1").fill("Update to 2.4.1.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#err-products\\.0\\.cpe")).to_contain_text("CPE 2.3")
    expect(page.get_by_label("Title")).to_have_value("Remote code execution in Acme Gateway")
    screenshot(page, "advisories-form-error")
    page.get_by_label("CPE, row 1").fill("cpe:2.3:a:acme:gateway:*:*:*:*:*:*:*:*")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/advisories/\d+\?done=created$"))
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    advisory_url = page.url.split("?")[0]
    tracking_id = page.locator("h1 code").inner_text()
    assert re.fullmatch(r"PKCERT-\d{4}-\d{4}", tracking_id)

    page.get_by_role("link", name="CSAF preview").click()
    expect(page.get_by_role("status")).to_contain_text("Passes the")
    screenshot(page, "advisories-preview")
    page.go_back()

    page.get_by_label("What this revision says").fill("Initial version.")
    page.get_by_role("button", name="Publish and send").click()
    expect(page.get_by_role("status")).to_contain_text("Published and sent")
    answers = page.locator("#answers")
    expect(answers).to_contain_text(advisory_targets.affected)
    expect(answers).not_to_contain_text(advisory_targets.fixed)
    screenshot(page, "advisories-published")

    # The constituent, in its own browser profile.
    portal_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1360, "height": 900}
    )
    portal = portal_context.new_page()
    _watch(portal, problems)
    sign_in(portal, advisory_targets.reporter, advisory_targets.password)
    portal.get_by_role("navigation", name="Main").get_by_role("link", name="Advisories").click()
    expect(portal.get_by_role("heading", name="Advisories sent to you")).to_be_visible()
    portal.get_by_role("link", name=tracking_id).click()
    expect(portal.locator("body")).to_contain_text("Acme Gateway 2.3.0")
    portal.get_by_label("Patched").check()
    portal.get_by_label("Note").fill("Updated all gateways to 2.4.1")
    portal.get_by_role("button", name="Send answer").click()
    expect(portal.get_by_role("status")).to_contain_text("your answer is recorded")
    screenshot(portal, "advisories-portal-answered")
    portal_context.close()

    page.goto(advisory_url)
    expect(page.locator("#answers")).to_contain_text("Patched")
    expect(page.locator("#answers")).to_contain_text("Updated all gateways to 2.4.1")
    screenshot(page, "advisories-answers")
    assert problems == []
