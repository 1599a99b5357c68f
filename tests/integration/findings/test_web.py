"""The findings API and console pages over the service: constituents see and answer only
their organisation's findings; CERT staff manage suppression rules and see the plots."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.constituency import service as constituency
from certnet.findings import service
from certnet.findings.models import Finding, FindingState
from tests.factories import Network
from tests.integration.findings.conftest import DAY1, DAY2, Ingest
from tests.integration.web.helpers import csrf_token, signed_in

BANK = [("203.0.113.10", 80), ("203.0.113.11", 8080)]
TELCO = [("198.51.100.5", 80)]


def _bearer(session: Session, net: Network, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, user)}"}


def _by_host(session: Session) -> dict[str, Finding]:
    return {f.host: f for f in session.scalars(select(Finding))}


def test_api_lists_only_what_the_principal_may_see_and_answers_are_checked(
    client: TestClient, session: Session, net: Network, ingest: Ingest
) -> None:
    ingest(BANK + TELCO, DAY1)
    bank = _bearer(session, net, "bankadmin")
    listed = client.get("/api/v1/findings", headers=bank)
    assert listed.status_code == 200
    hosts = {f["host"] for f in listed.json()["items"]}
    assert hosts == {"203.0.113.10", "203.0.113.11"}
    telco_finding = _by_host(session)["198.51.100.5"]
    hidden = client.get(f"/api/v1/findings/{telco_finding.id}", headers=bank)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")

    mine = _by_host(session)["203.0.113.11"]
    fixed = client.post(
        f"/api/v1/findings/{mine.id}/fixed", headers=bank, json={"note": "Port closed"}
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["state"] == "fixed"
    assert fixed.json()["fixed_note"] == "Port closed"
    # A constituent cannot verify its own fix; the CERT can reopen, with a reason.
    refused = client.post(f"/api/v1/findings/{mine.id}/verify", headers=bank)
    assert refused.status_code == 403
    national = _bearer(session, net, "national")
    no_reason = client.post(f"/api/v1/findings/{mine.id}/reopen", headers=national)
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "note"
    again = client.post(f"/api/v1/findings/{mine.id}/fixed", headers=bank)
    assert again.status_code == 409
    detail = client.get(f"/api/v1/findings/{mine.id}", headers=national).json()
    assert [h["to_state"] for h in detail["history"]] == ["open", "fixed"]
    assert detail["history"][1]["actor"] == "bankadmin"

    # Filters: state and sector.
    open_ones = client.get("/api/v1/findings?state=open&sector=telecom", headers=national)
    assert [f["host"] for f in open_ones.json()["items"]] == ["198.51.100.5"]


def test_suppression_rules_through_the_api_stop_and_undo_notifications(
    client: TestClient, session: Session, net: Network, ingest: Ingest
) -> None:
    ingest(BANK + TELCO, DAY1)
    national = _bearer(session, net, "national")
    bad = client.post(
        "/api/v1/findings/suppressions", headers=national, json={"reason": "nothing named"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "organisation_id"
    bad_net = client.post(
        "/api/v1/findings/suppressions",
        headers=national,
        json={"network": "203.0.113.300/24", "reason": "typo"},
    )
    assert bad_net.json()["errors"][0]["field"] == "network"
    rule = client.post(
        "/api/v1/findings/suppressions",
        headers=national,
        json={"network": "203.0.113.0/28", "report_type": "scan_http", "reason": "Bank honeypot"},
    )
    assert rule.status_code == 201, rule.text
    telco_rule = client.post(
        "/api/v1/findings/suppressions",
        headers=_bearer(session, net, "telco"),
        json={"organisation_id": net.orgs["Telco One"].id, "reason": "we would rather not"},
    )
    assert telco_rule.status_code == 403

    done = service.notify_due(session=session, now=DAY1 + timedelta(hours=1))
    assert (done.suppressed, done.notifications) == (2, 1)
    states = {h: f.state for h, f in _by_host(session).items()}
    assert states["203.0.113.10"] is FindingState.OPEN
    assert states["198.51.100.5"] is FindingState.NOTIFIED

    lifted = client.post(
        f"/api/v1/findings/suppressions/{rule.json()['id']}/lift", headers=national
    )
    assert lifted.json()["lifted_by"] == "national"
    assert (
        client.post(
            f"/api/v1/findings/suppressions/{rule.json()['id']}/lift", headers=national
        ).status_code
        == 409
    )
    later = service.notify_due(session=session, now=DAY2)
    assert (later.suppressed, later.findings) == (0, 2)
    active = client.get("/api/v1/findings/suppressions?active=true", headers=national)
    assert active.json()["items"] == []


def test_constituent_answers_a_finding_in_the_console(
    client: TestClient, session: Session, net: Network, ingest: Ingest
) -> None:
    ingest(BANK + TELCO, DAY1)
    service.notify_due(session=session, now=DAY1 + timedelta(hours=1))
    signed_in(client, "bankreporter")
    listing = client.get("/findings")
    assert listing.status_code == 200
    assert "203.0.113.10:80" in listing.text
    assert "198.51.100.5" not in listing.text
    finding = _by_host(session)["203.0.113.10"]
    page = client.get(f"/findings/{finding.id}")
    assert "Acknowledge" in page.text
    assert "Verify fixed" not in page.text
    token = csrf_token(page)
    answered = client.post(
        f"/findings/{finding.id}/answer",
        data={"csrf_token": token, "action": "fixed", "note": "Patched and closed"},
        follow_redirects=True,
    )
    assert answered.status_code == 200
    assert "Finding marked fixed" in answered.text
    assert "Patched and closed" in answered.text
    session.refresh(finding)
    assert finding.state is FindingState.FIXED
    telco = _by_host(session)["198.51.100.5"]
    assert client.get(f"/findings/{telco.id}").status_code == 404
    sent = client.get("/findings/notifications")
    assert sent.status_code == 200
    assert "soc@first-bank.example.pk" in sent.text
    assert "soc@telco-one.example.pk" not in sent.text


def test_cert_pages_suppressions_and_remediation_plots(
    client: TestClient, session: Session, net: Network, ingest: Ingest
) -> None:
    ingest(BANK + TELCO, DAY1)
    ingest(BANK[:1], DAY2)  # .11 and Telco's host verified fixed
    signed_in(client, "national")
    plots = client.get("/findings/remediation")
    assert plots.status_code == 200
    assert plots.text.count("<svg") >= 3
    assert re.search(r"telecom</text>", plots.text)
    assert "100% (1/1)" in plots.text  # telecom: its one finding verified
    rules = client.get("/findings/suppressions")
    token = csrf_token(rules)
    refused = client.post(
        "/findings/suppressions",
        data={"csrf_token": token, "network": "not-a-net", "reason": "test"},
    )
    assert refused.status_code == 422
    assert "not a network" in refused.text
    added = client.post(
        "/findings/suppressions",
        data={
            "csrf_token": token,
            "organisation": str(net.orgs["First Bank"].id),
            "reason": "Pen test this week",
            "expires": "2099-01-01",
        },
        follow_redirects=True,
    )
    assert "Suppression rule added" in added.text
    assert "Pen test this week" in added.text


def test_preferences_and_intervals_through_the_api(
    client: TestClient, session: Session, net: Network
) -> None:
    bank = _bearer(session, net, "bankadmin")
    contact_id = constituency.list_contacts(
        session=session,
        principal=net.principal(session, "bankadmin"),
        organisation_id=net.orgs["First Bank"].id,
    )[0].id
    url = f"/api/v1/findings/preferences/{contact_id}"
    assert client.get(url, headers=bank).json()["language"] == "en"
    changed = client.put(
        url, headers=bank, json={"language": "ur", "mail_format": "text", "opted_out": ["scan_dns"]}
    )
    assert changed.status_code == 200, changed.text
    assert client.get(url, headers=bank).json()["opted_out"] == ["scan_dns"]
    wrong = client.put(url, headers=bank, json={"language": "fr"})
    assert wrong.status_code == 422
    interval_url = f"/api/v1/findings/intervals/{net.orgs['First Bank'].id}"
    assert client.get(interval_url, headers=bank).json()["interval"] == "daily"
    assert client.put(interval_url, headers=bank, json={"interval": "weekly"}).status_code == 403
    sbp = _bearer(session, net, "sbp")
    assert client.put(interval_url, headers=sbp, json={"interval": "weekly"}).json() == {
        "organisation_id": net.orgs["First Bank"].id,
        "interval": "weekly",
    }


def test_notification_settings_in_the_console(
    client: TestClient, session: Session, net: Network
) -> None:
    bank_id = net.orgs["First Bank"].id
    signed_in(client, "bankadmin")
    page = client.get("/findings/settings")
    assert page.status_code == 200
    assert "soc@first-bank.example.pk" in page.text
    assert "Save interval" not in page.text  # the CERT's to change
    contact_id = int(re.findall(r"/findings/settings/contacts/(\d+)", page.text)[0])
    saved = client.post(
        f"/findings/settings/contacts/{contact_id}",
        data={
            "csrf_token": csrf_token(page),
            "organisation": str(bank_id),
            "language": "ur",
            "mail_format": "text",
            "opted_out": "scan_ntp, scan_ssdp",
        },
        follow_redirects=True,
    )
    assert "Contact preferences saved" in saved.text
    stored = service.get_preference(
        session=session, principal=net.principal(session, "bankadmin"), contact_id=contact_id
    )
    assert (stored.language.value, stored.mail_format.value, stored.attach_csv) == (
        "ur",
        "text",
        False,
    )
    assert stored.opted_out == ["scan_ntp", "scan_ssdp"]
    refused = client.post(
        f"/findings/settings/interval/{bank_id}",
        data={"csrf_token": csrf_token(page), "interval": "weekly"},
    )
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    signed_in(client, "sbp")
    page = client.get(f"/findings/settings?organisation={bank_id}")
    done = client.post(
        f"/findings/settings/interval/{bank_id}",
        data={"csrf_token": csrf_token(page), "interval": "weekly"},
        follow_redirects=True,
    )
    assert "Notification interval saved" in done.text
    assert "<strong>weekly</strong>" in done.text
