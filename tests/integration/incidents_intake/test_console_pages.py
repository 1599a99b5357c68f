"""The incidents console through the app (TestClient), on SQLite and PostgreSQL: the report
form with its field errors, the queue's bulk actions, the quarantine pages for CERT staff only,
and evidence downloads served as attachments."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.core import clock
from certnet.incidents import service as incidents
from certnet.incidents.intake import service as intake
from certnet.incidents.intake.models import QuarantinedMail, QuarantineState
from certnet.incidents.models import Incident, IncidentStatus
from certnet.incidents.schemas import IncidentReport
from tests.factories import Network
from tests.integration.incidents_intake.conftest import report_mail
from tests.integration.web.helpers import signed_in


def _report(session: Session, net: Network, username: str, **fields: object) -> Incident:
    data = {
        "title": "Seeded",
        "became_aware_at": clock.now() - timedelta(hours=1),
        "rsit_class": "fraud",
        "rsit_type": "phishing",
    } | fields
    return incidents.report(
        session=session,
        principal=net.principal(session, username),
        data=IncidentReport.model_validate(data),
    )


def test_the_report_form_names_the_fields_and_writes_nothing(
    session: Session, client: TestClient, net: Network
) -> None:
    token = signed_in(client, "bankreporter")
    future = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        "/incidents/report",
        data={
            "csrf_token": token,
            "title": "Ransom note on the file server",
            "became_aware_at": future,
            "classification": "fraud/phishng",
            "observables": "203.0.113.7\n999.1.1.1",
        },
    )
    assert answer.status_code == 422
    assert 'id="err-became_aware_at"' in answer.text
    assert 'id="err-observables"' in answer.text
    assert "line 2" in answer.text
    assert "Ransom note on the file server" in answer.text  # kept for the next try
    assert session.scalars(select(Incident)).all() == []

    now = clock.now().strftime("%Y-%m-%dT%H:%M")
    sent = client.post(
        "/incidents/report",
        data={
            "csrf_token": token,
            "title": "Ransom note on the file server",
            "became_aware_at": now,
            "classification": "malicious-code/infected-system",
            "observables": "203.0.113.7",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    incident = session.scalars(select(Incident)).one()
    assert sent.headers["location"] == f"/incidents/{incident.id}?done=reported"
    assert incident.organisation_id == net.orgs["First Bank"].id
    assert incident.channel.value == "portal"


def test_a_form_without_its_token_is_rejected(client: TestClient, net: Network) -> None:
    signed_in(client, "bankreporter")
    answer = client.post("/incidents/report", data={"title": "No token here"})
    assert answer.status_code == 403


def test_bulk_actions_change_each_allowed_incident_and_name_the_refused(
    session: Session, client: TestClient, net: Network
) -> None:
    first = _report(session, net, "telco", title="One")
    second = _report(session, net, "telco", title="Two")
    token = signed_in(client, "pta")
    moved = client.post(
        "/incidents/bulk",
        data={"csrf_token": token, "ids": [first.id, second.id], "action": "transition",
              "to": "triaged", "back": "/incidents?status=new"},
        follow_redirects=False,
    )  # fmt: skip
    assert moved.status_code == 303
    assert moved.headers["location"].startswith("/incidents?status=new&done=transition&changed=2")
    session.expire_all()
    assert {i.status for i in session.scalars(select(Incident))} == {IncidentStatus.TRIAGED}

    # "new" is not a next step of "triaged": both refused, nothing changes.
    again = client.post(
        "/incidents/bulk",
        data={"csrf_token": token, "ids": [first.id, second.id], "action": "transition",
              "to": "closed"},
        follow_redirects=False,
    )  # fmt: skip
    location = again.headers["location"]
    assert "changed=0" in location
    assert re.search(rf"refused={first.id}%2C{second.id}", location)
    page = client.get(location)
    assert f'href="/incidents/{first.id}">#{first.id}</a>' in page.text

    # Another CERT's analyst cannot touch them: refused too.
    client.cookies.clear()
    other = signed_in(client, "sbp")
    foreign = client.post(
        "/incidents/bulk",
        data={"csrf_token": other, "ids": [first.id], "action": "assign", "user_id": ""},
        follow_redirects=False,
    )
    assert "changed=0" in foreign.headers["location"]

    nothing = client.post(
        "/incidents/bulk", data={"csrf_token": other, "action": "assign"}, follow_redirects=False
    )
    assert nothing.status_code == 422
    assert "tick at least one incident" in nothing.text


def test_quarantine_pages_are_for_cert_staff(
    session: Session, client: TestClient, net: Network
) -> None:
    outcome = intake.receive(
        session=session,
        raw=report_mail("stranger@elsewhere.example", body="Type: phishing\n").as_bytes(),
        envelope_from="stranger@elsewhere.example",
        recipients=["incidents@pkcert.example.pk"],
        receiving_cert_id=net.certs["pkcert"].id,
    )
    entry_id = outcome.quarantine_id
    token = signed_in(client, "national")
    listing = client.get("/incidents/intake")
    assert listing.status_code == 200
    assert f'href="/incidents/intake/{entry_id}"' in listing.text
    raw = client.get(f"/incidents/intake/{entry_id}/raw")
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["content-disposition"] == f'attachment; filename="intake-{entry_id}.eml"'
    assert raw.content.startswith(b"From: stranger@elsewhere.example")

    missing = client.post(
        f"/incidents/intake/{entry_id}/release", data={"csrf_token": token, "organisation_id": ""}
    )
    assert missing.status_code == 422
    assert 'id="err-organisation_id"' in missing.text
    released = client.post(
        f"/incidents/intake/{entry_id}/release",
        data={"csrf_token": token, "organisation_id": str(net.orgs["Telco One"].id)},
        follow_redirects=False,
    )
    assert released.status_code == 303
    entry = session.scalars(select(QuarantinedMail)).one()
    assert entry.state is QuarantineState.RELEASED
    assert released.headers["location"] == f"/incidents/{entry.incident_id}?done=released"

    client.cookies.clear()
    signed_in(client, "telco")
    assert client.get("/incidents/intake").status_code == 403
    assert client.get(f"/incidents/intake/{entry_id}").status_code == 404
    assert client.get(f"/incidents/intake/{entry_id}/raw").status_code == 404


def test_evidence_is_downloaded_as_an_attachment_and_logged(
    session: Session, client: TestClient, net: Network
) -> None:
    incident = _report(session, net, "telco", title="With a file")
    token = signed_in(client, "pta")
    uploaded = client.post(
        f"/incidents/{incident.id}/evidence",
        data={"csrf_token": token, "description": "proxy log"},
        files={"file": ("proxy<script>.log", b"GET /evil\n", "text/plain")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    item = incidents.evidence(
        session=session, principal=net.principal(session, "pta"), incident_id=incident.id
    )[0]
    answer = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    assert answer.content == b"GET /evil\n"
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"] == 'attachment; filename="proxyscript.log"'
    custody = incidents.custody(
        session=session,
        principal=net.principal(session, "pta"),
        incident_id=incident.id,
        evidence_id=item.id,
    )
    assert len(custody) >= 2  # stored, then read


def test_a_filter_that_does_not_parse_is_named_on_the_queue(
    client: TestClient, net: Network
) -> None:
    signed_in(client, "pta")
    answer = client.get("/incidents?organisation=abc")
    assert answer.status_code == 422
    assert "organisation: a number, such as 42" in answer.text
    bad_cursor = client.get("/incidents?cursor=nonsense")
    assert bad_cursor.status_code == 422
    assert "cursor" in bad_cursor.text
