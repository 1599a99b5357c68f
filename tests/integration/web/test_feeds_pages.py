"""Console pages of the feeds over the service: uploading a Shadowserver report through the
form, the runs list, a run's quarantined rows, and the events each role may see."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.config import get_settings
from certnet.core.errors import Invalid
from certnet.feeds import service
from certnet.feeds import views as feeds_views
from certnet.feeds.models import Event, FeedRun
from certnet.feeds.parsers import schema_store
from tests.factories import SYSTEM, Network, build_network
from tests.integration.web.helpers import csrf_token, signed_in
from tests.shared_data import FEED_SAMPLES, shadowserver_file

SAMPLES = FEED_SAMPLES
SCAN_HTTP = SAMPLES / "2024-02-05-scan_http-pk-geo.csv"
# Read at import time: the suite's settings fixture clears CERTNET_* before each test.

BAD_ADDRESS_ROW = "2024-02-05 10:00:00,info,999.1.2.3,tcp,80,,http,64500,PK,,,0,,,,,,,,,,,,,,"
# 192.0.2.200 is outside Punjab IT Board's 192.0.2.0/25 and every other claim.
UNOWNED_ROW = "2024-02-05 11:00:00,info,192.0.2.200,tcp,80,,http,64500,PK,,,0,,,,,,,,,,,,,,"
LONG_ROW = "2024-02-05 12:00:00,info,not-an-address-" + "x" * 200 + ",tcp,80" + "," * 21


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


@pytest.fixture
def schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    """Shadowserver's schema imported into this test's own var directory, as an operator
    would with ``certnet feeds schema import``."""
    schema_file = shadowserver_file("intelmq.json")
    monkeypatch.setenv("CERTNET_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    schema_store.import_schema(
        session=session, principal=SYSTEM, settings=get_settings(), source=schema_file
    )


def _report_with_extra_rows() -> bytes:
    """The committed scan_http sample, plus a row no address can be read from, an address
    nobody claims, and a long broken row."""
    lines = SCAN_HTTP.read_text().rstrip("\n").splitlines()
    return ("\n".join([*lines, BAD_ADDRESS_ROW, UNOWNED_ROW, LONG_ROW]) + "\n").encode()


def _upload(
    client: TestClient, content: bytes, filename: str = SCAN_HTTP.name, report_type: str = ""
) -> tuple[int, str, str]:
    token = csrf_token(client.get("/feeds"))
    response = client.post(
        "/feeds/upload",
        data={"csrf_token": token, "report_type": report_type},
        files={"file": (filename, content, "text/csv")},
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("location", ""), response.text


def _cells(page: str, table_class: str) -> list[list[str]]:
    """The text of each body row of the table with ``table_class``."""
    table = re.search(rf'<table class="data[^"]*\b{table_class}\b.*?</table>', page, re.S)
    assert table is not None, f"no {table_class} table"
    body = table.group(0).split("<tbody>", 1)[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


@pytest.mark.usefixtures("schema")
def test_upload_ingests_a_sample_and_shows_its_run(
    client: TestClient, session: Session, net: Network
) -> None:
    signed_in(client, "national")
    form = client.get("/feeds")
    # The report types come from the imported schema.
    assert '<option value="scan_http">' in form.text
    assert "No Shadowserver schema is imported" not in form.text

    status, location, _ = _upload(client, _report_with_extra_rows())
    assert status == 303
    went_to = re.fullmatch(r"/feeds/runs/(\d+)\?done=ingested", location)
    assert went_to is not None, location
    run_id = int(went_to.group(1))
    run = session.get(FeedRun, run_id)
    assert run is not None
    assert (run.report_type, run.rows, run.stored, run.duplicates, run.quarantined) == (
        "scan_http",
        5,
        3,
        0,
        2,
    )
    assert run.unowned == 1

    page = client.get(location)
    assert page.status_code == 200
    assert "Report ingested." in page.text
    quarantined = _cells(page.text, "quarantine")
    assert [row[0] for row in quarantined] == ["4", "6"]  # lines, in input order
    assert quarantined[0][1] == "source.ip"
    assert quarantined[0][3] == BAD_ADDRESS_ROW
    # Every quarantined row shows its reason, as the service recorded it.
    from_service = service.list_quarantine(
        session=session, principal=net.principal(session, "national"), run_id=run_id
    ).items
    assert [row[2] for row in quarantined] == [q.reason for q in from_service]
    assert all(q.reason for q in from_service)
    # A long original row is cut in the cell and kept whole in the title and the details.
    assert f'title="{LONG_ROW}"' in page.text
    assert "<details>" in page.text

    # The runs list shows the run with its figures, newest first.
    runs = _cells(client.get("/feeds").text, "runs")
    assert runs[0][:2] == [f"#{run_id}", "scan_http"]
    assert runs[0][5:10] == ["5", "3", "0", "2", "1"]

    # The same file again changes nothing and says so.
    status, location, _ = _upload(client, _report_with_extra_rows())
    assert (status, location) == (303, f"/feeds/runs/{run_id}?done=again")
    assert session.scalar(select(func.count()).select_from(FeedRun)) == 1


@pytest.mark.usefixtures("schema")
def test_an_unknown_report_type_is_a_form_error(client: TestClient, net: Network) -> None:
    signed_in(client, "national")
    status, _, page = _upload(client, SCAN_HTTP.read_bytes(), report_type="scan_htp")
    assert status == Invalid.status
    assert 'id="err-report_type"' in page
    assert "is not a Shadowserver report type" in html.unescape(page)
    assert "scan_http" in page  # the closest type is suggested
    # The form keeps what was chosen.
    assert '<option value="scan_htp" selected>' in page


@pytest.mark.usefixtures("schema")
def test_a_file_whose_type_cannot_be_told_is_a_form_error(
    client: TestClient, session: Session, net: Network
) -> None:
    signed_in(client, "national")
    status, _, page = _upload(client, b"a,b\n1,2\n", filename="notes.csv")
    assert status == Invalid.status
    assert 'id="err-report_type"' in page
    assert session.scalar(select(func.count()).select_from(FeedRun)) == 0


def test_without_a_schema_the_page_says_how_and_upload_is_refused(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, net: Network
) -> None:
    monkeypatch.setenv("CERTNET_VAR_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    signed_in(client, "national")
    assert "No Shadowserver schema is imported" in client.get("/feeds").text
    status, _, page = _upload(client, SCAN_HTTP.read_bytes())
    assert status == 404
    assert "certnet feeds schema import" in page
    assert 'class="alert alert-error"' in page


@pytest.mark.usefixtures("schema")
def test_a_constituent_may_not_ingest(client: TestClient, session: Session, net: Network) -> None:
    signed_in(client, "bankreporter")
    status, _, page = _upload(client, SCAN_HTTP.read_bytes())
    assert status == 403
    assert "Not allowed" in page
    assert session.scalar(select(func.count()).select_from(FeedRun)) == 0


def _ingest_as_national(session: Session, net: Network) -> int:
    parser = service.parser_for("shadowserver")
    summary = service.ingest(
        session=session,
        principal=net.principal(session, "national"),
        parser=parser,
        stream=io.BytesIO(_report_with_extra_rows()),
        filename=SCAN_HTTP.name,
    )
    return summary.id


@pytest.mark.usefixtures("schema")
def test_events_follow_the_policy(client: TestClient, session: Session, net: Network) -> None:
    run_id = _ingest_as_national(session, net)
    punjab = net.orgs["Punjab IT Board"]

    signed_in(client, "national")
    rows = _cells(client.get("/feeds/events").text, "events")
    by_source = {row[1]: row for row in rows}
    assert set(by_source) == {"192.0.2.10:80", "192.0.2.11:8080", "192.0.2.200:80"}
    assert by_source["192.0.2.10:80"][2] == punjab.name
    assert by_source["192.0.2.200:80"][2] == "unowned"
    assert f'<a href="/organisations/{punjab.id}">' in client.get("/feeds/events").text

    # Filters go through the same service.
    filtered = _cells(
        client.get("/feeds/events", params={"organisation": str(punjab.id)}).text, "events"
    )
    assert {row[1] for row in filtered} == {"192.0.2.10:80", "192.0.2.11:8080"}
    assert _cells(client.get("/feeds/events", params={"run": str(run_id)}).text, "events")
    assert "No event matches." in client.get("/feeds/events", params={"run": "999999"}).text
    assert (
        "No event matches." in client.get("/feeds/events", params={"report_type": "scan_dns"}).text
    )
    wrong = client.get("/feeds/events", params={"organisation": "abc"})
    assert wrong.status_code == Invalid.status
    assert 'id="err-organisation"' in wrong.text

    # A sectoral analyst sees no unowned event and no other sector's events; Punjab's
    # events are the provincial CERT's line, not the banking regulator's.
    client.cookies.clear()
    signed_in(client, "sbp")
    page = client.get("/feeds/events")
    assert page.status_code == 200
    assert "192.0.2.200" not in page.text
    assert "unowned" not in page.text
    assert "No event matches." in page.text
    # Nor the national CERT's run (runs are seen by the running CERT and those above it).
    assert client.get(f"/feeds/runs/{run_id}").status_code == 404
    assert f"#{run_id}" not in client.get("/feeds").text


@pytest.mark.usefixtures("schema")
def test_events_are_paged_newest_first(
    client: TestClient, session: Session, net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_as_national(session, net)
    monkeypatch.setattr(feeds_views, "EVENT_PAGE_SIZE", 2)
    signed_in(client, "national")
    newest_first = [
        f"{e.source_ip}:{e.source_port}"
        for e in session.scalars(select(Event).order_by(Event.id.desc()))
    ]
    first = client.get("/feeds/events")
    assert [row[1] for row in _cells(first.text, "events")] == newest_first[:2]
    next_url = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert next_url is not None
    second = client.get(html.unescape(next_url.group(1)))
    assert [row[1] for row in _cells(second.text, "events")] == newest_first[2:]
    assert 'rel="next"' not in second.text
    assert "« First page" in second.text


def test_feeds_link_is_shown_to_cert_staff_only(client: TestClient, net: Network) -> None:
    signed_in(client, "national")
    assert '<a href="/feeds"' in client.get("/").text
    client.cookies.clear()
    signed_in(client, "telco")
    assert '<a href="/feeds"' not in client.get("/").text
