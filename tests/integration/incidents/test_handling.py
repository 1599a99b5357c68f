"""Case handling beyond the story: reminders and overdue flags through a real SMTP server,
webhooks signed and retried, TLP:RED and delegation visibility, comments and tasks, evidence
checks and custody, the workflow's refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certnet.config import Settings
from certnet.constituency import service as constituency
from certnet.constituency.schemas import CertCreate, OrganisationUpdate
from certnet.core.access import Role
from certnet.core.errors import Conflict, Forbidden, Invalid, NotFound
from certnet.incidents import jobs
from certnet.incidents import service as incidents
from certnet.incidents.models import Incident, IncidentStatus, TaskStatus, WebhookDelivery
from certnet.incidents.schemas import IncidentReport, TaskUpdate, WebhookIn
from certnet.notifications import service as outbox
from tests.factories import SYSTEM, Network
from tests.factories import user as make_user
from tests.integration.incidents.conftest import NOW


def _report(session: Session, net: Network, user: str = "bankreporter", **extra: Any) -> Incident:
    data: dict[str, Any] = {
        "title": "Credential phishing against staff",
        "became_aware_at": NOW - timedelta(hours=1),
        "rsit_class": "fraud",
        "rsit_type": "phishing",
        "severity": "low",
        "tlp": "AMBER",
    }
    data.update(extra)
    return incidents.report(
        session=session,
        principal=net.principal(session, user),
        data=IncidentReport.model_validate(data),
        now=NOW,
    )


def test_reminders_then_overdue_flags_go_out_once(
    session: Session, net: Network, bound_factory: sessionmaker[Session], smtp_sink: Any
) -> None:
    incident = _report(session, net, user="telco")
    # 20 hours after becoming aware: the 24-hour stage is 4 hours away, inside the window.
    first = incidents.send_reminders(session=session, now=NOW + timedelta(hours=19))
    assert (first.reminders, first.overdue_flags) == (1, 0)
    again = incidents.send_reminders(session=session, now=NOW + timedelta(hours=19, minutes=5))
    assert (again.reminders, again.overdue_flags) == (0, 0)
    late = incidents.send_reminders(session=session, now=NOW + timedelta(hours=24))
    assert (late.reminders, late.overdue_flags) == (0, 1)
    kinds = [
        e.kind
        for e in incidents.timeline(
            session=session, principal=net.principal(session, "pta"), incident_id=incident.id
        )
    ]
    assert kinds.count("reminder") == 1
    assert kinds.count("overdue") == 1
    session.flush()
    delivered = outbox.deliver_due(bound_factory, smtp_sink.settings())
    assert delivered.sent >= 3
    subjects = [str(m["Subject"]) for m in smtp_sink.messages]
    assert any("Reminder: Initial report" in s for s in subjects)
    assert any("Overdue: Initial report" in s for s in subjects)
    to_org = (
        next(m for m in smtp_sink.messages if "Reminder" in m["Subject"])["To"]
        .addresses[0]
        .addr_spec
    )
    assert to_org == "soc@telco-one.example.pk"


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    answers: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    _Receiver.received, _Receiver.answers = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_is_signed_and_retried(
    session: Session,
    net: Network,
    bound_factory: sessionmaker[Session],
    receiver: tuple[str, type[_Receiver]],
) -> None:
    url, handler = receiver
    secret = "s3cret-for-the-telecom-cert"
    hook = incidents.create_webhook(
        session=session,
        principal=net.principal(session, "pta"),
        data=WebhookIn(url=url, secret=secret, events=["incident.created"]),
    )
    assert hook.owner_cert_id == net.certs["ptacert"].id
    handler.answers = [503]
    incident = _report(session, net, user="telco")
    # An incident elsewhere is not the telecom CERT's: no delivery for it.
    _report(session, net)
    session.flush()
    settings = Settings()
    first = incidents.deliver_webhooks(bound_factory, settings, now=NOW + timedelta(minutes=1))
    assert (first.sent, first.retrying) == (0, 1)
    second = incidents.deliver_webhooks(bound_factory, settings, now=NOW + timedelta(minutes=3))
    assert second.sent == 1
    assert len(handler.received) == 2
    headers, body = handler.received[-1]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Certnet-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "incident.created"
    assert payload["incident"]["id"] == incident.id
    state = session.scalar(
        select(WebhookDelivery.state).where(WebhookDelivery.incident_id == incident.id)
    )
    assert state == "delivered"


def test_red_incident_is_seen_by_named_recipients_only(session: Session, net: Network) -> None:
    incident = _report(session, net, tlp="RED", severity="low", impact={"cii_involved": False})
    # First Bank is CII: the rule hands it to the National CERT, which becomes a recipient.
    assert incident.handling_cert_id == net.certs["pkcert"].id
    for user in ("bankreporter", "sbp", "national"):
        assert incidents.get(
            session=session, principal=net.principal(session, user), incident_id=incident.id
        )
    for user in ("pta", "telco"):
        with pytest.raises(NotFound):
            incidents.get(
                session=session, principal=net.principal(session, user), incident_id=incident.id
            )


def test_delegation_down_makes_the_incident_visible_there(session: Session, net: Network) -> None:
    incident = _report(session, net, user="telco", severity="high")
    pta = net.principal(session, "pta")
    # At or above "high" the parent (Government CERT) is informed, not handed over.
    kinds = [
        e.kind for e in incidents.timeline(session=session, principal=pta, incident_id=incident.id)
    ]
    assert "parent_informed" in kinds
    assert incident.handling_cert_id == net.certs["ptacert"].id
    below = constituency.create_cert(
        session=session,
        principal=SYSTEM,
        data=CertCreate(
            name="Telco One CSIRT",
            short_name="telcocsirt",
            tier="organisational",
            parent_id=net.certs["ptacert"].id,
        ),
    )
    with pytest.raises(Invalid) as caught:
        incidents.delegate(
            session=session,
            principal=pta,
            incident_id=incident.id,
            to_cert_id=net.certs["pkcert"].id,
            reason="not below",
        )
    assert caught.value.errors[0].field == "to_cert_id"
    incidents.delegate(
        session=session,
        principal=pta,
        incident_id=incident.id,
        to_cert_id=below.id,
        reason="their own team handles it",
    )
    assert incident.handling_cert_id == below.id
    # The CERT below now has it in its queue (handled there, owned above it).
    net.certs["telcocsirt"] = below
    make_user(session, net, "csirt", Role.ANALYST, cert_short="telcocsirt")
    csirt = net.principal(session, "csirt")
    queue = incidents.list_incidents(session=session, principal=csirt, now=NOW)
    assert [i.id for i in queue.items] == [incident.id]
    assert incidents.counts(session=session, principal=csirt, now=NOW).total == 1
    assert incidents.get(session=session, principal=csirt, incident_id=incident.id)
    # Delegated and escalated incidents answer only to CERT staff.
    with pytest.raises(Forbidden):
        incidents.escalate(
            session=session,
            principal=net.principal(session, "telco"),
            incident_id=incident.id,
            reason="we want the top",
        )


def test_comments_tasks_and_internal_notes(session: Session, net: Network) -> None:
    incident = _report(
        session, net, user="telco", rsit_class="malicious-code", rsit_type="infected-system"
    )
    pta, telco = net.principal(session, "pta"), net.principal(session, "telco")
    tasks = incidents.tasks(session=session, principal=pta, incident_id=incident.id)
    assert [t.title for t in tasks][:1] == ["Isolate infected hosts"]
    assert incidents.tasks(session=session, principal=telco, incident_id=incident.id) == []
    done = incidents.update_task(
        session=session,
        principal=pta,
        incident_id=incident.id,
        task_id=tasks[0].id,
        data=TaskUpdate(status=TaskStatus.DONE),
    )
    assert done.completed_at is not None
    incidents.add_comment(
        session=session,
        principal=pta,
        incident_id=incident.id,
        body="Looks like Emotet.",
        internal=True,
    )
    incidents.add_comment(
        session=session,
        principal=pta,
        incident_id=incident.id,
        body="Please send the firewall logs.",
    )
    incidents.add_comment(
        session=session, principal=telco, incident_id=incident.id, body="Logs attached soon."
    )
    with pytest.raises(Invalid):
        incidents.add_comment(
            session=session, principal=telco, incident_id=incident.id, body="secret", internal=True
        )
    seen = [
        c.body
        for c in incidents.comments(session=session, principal=telco, incident_id=incident.id)
    ]
    assert seen == ["Please send the firewall logs.", "Logs attached soon."]
    assert len(incidents.comments(session=session, principal=pta, incident_id=incident.id)) == 3


def test_workflow_refuses_moves_it_does_not_allow(session: Session, net: Network) -> None:
    incident = _report(session, net, user="telco")
    pta = net.principal(session, "pta")
    with pytest.raises(Invalid) as caught:
        incidents.transition(
            session=session, principal=pta, incident_id=incident.id, to=IncidentStatus.CLOSED
        )
    assert caught.value.errors[0].field == "to"
    with pytest.raises(Invalid) as caught:
        incidents.transition(
            session=session, principal=pta, incident_id=incident.id, to=IncidentStatus.REJECTED
        )
    assert caught.value.errors[0].field == "reason"
    incidents.transition(
        session=session,
        principal=pta,
        incident_id=incident.id,
        to=IncidentStatus.REJECTED,
        reason="not an incident",
        now=NOW,
    )
    assert incident.next_due_at is None


def test_evidence_checks_and_tamper_detection(
    session: Session, net: Network, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path)
    incident = _report(session, net, user="telco")
    pta = net.principal(session, "pta")
    with pytest.raises(Invalid) as caught:
        incidents.add_evidence(
            session=session,
            principal=pta,
            settings=settings,
            incident_id=incident.id,
            filename="dropper.exe",
            content_type="application/x-msdownload",
            content=b"MZ",
        )
    assert {e.field for e in caught.value.errors} == {"filename", "content_type"}
    with pytest.raises(Invalid) as caught:
        incidents.add_evidence(
            session=session,
            principal=pta,
            settings=settings,
            incident_id=incident.id,
            filename="huge.bin",
            content_type="application/octet-stream",
            content=b"x" * (25 * 1024 * 1024 + 1),
        )
    assert caught.value.errors[0].field == "content"
    item = incidents.add_evidence(
        session=session,
        principal=pta,
        settings=settings,
        incident_id=incident.id,
        filename="fw.log",
        content_type="text/plain",
        content=b"deny tcp 198.51.100.7",
    )
    stored = tmp_path / item.storage_path
    assert stored.read_bytes() == b"deny tcp 198.51.100.7"
    stored.write_bytes(b"edited")
    with pytest.raises(Conflict):
        incidents.read_evidence(
            session=session,
            principal=pta,
            settings=settings,
            incident_id=incident.id,
            evidence_id=item.id,
        )
    custody = incidents.custody(
        session=session, principal=pta, incident_id=incident.id, evidence_id=item.id
    )
    assert [(c.action, c.sha256_ok) for c in custody] == [("stored", True), ("read", False)]


def test_metrics_count_clocks_and_times(session: Session, net: Network) -> None:
    incident = _report(session, net, user="telco")
    pta = net.principal(session, "pta")
    for step in (IncidentStatus.TRIAGED, IncidentStatus.CONTAINED, IncidentStatus.RESOLVED):
        incidents.transition(
            session=session,
            principal=pta,
            incident_id=incident.id,
            to=step,
            now=NOW + timedelta(hours=2 if step is IncidentStatus.TRIAGED else 10),
        )
    incidents.submit_stage(
        session=session,
        principal=net.principal(session, "telco"),
        incident_id=incident.id,
        clock_id="initial_report",
        report="ok",
        now=NOW + timedelta(hours=3),
    )
    figures = incidents.metrics(
        session=session, principal=pta, group_by="sector", now=NOW + timedelta(days=40)
    )
    assert figures.incidents == 1
    assert figures.median_hours_to_acknowledge == 2.0
    assert figures.median_hours_to_resolve == 10.0
    assert (figures.stages_on_time, figures.stages_late) == (1, 0)
    # Once resolved nothing more is owed... but the stages that were due count as overdue.
    assert figures.groups[0].key == "telecom"
    daily = incidents.daily_counts(session=session, principal=pta, by="sector")
    assert [(d.key, d.count) for d in daily] == [("telecom", 1)]


def test_assignment_names_the_analyst_and_refuses_others(session: Session, net: Network) -> None:
    incident = _report(session, net, user="telco")
    pta = net.principal(session, "pta")
    assert incidents.allowed_transitions(incident) == [
        IncidentStatus.TRIAGED,
        IncidentStatus.REJECTED,
    ]
    with pytest.raises(Invalid) as caught:
        incidents.assign(
            session=session, principal=pta, incident_id=incident.id, user_id=net.users["telco"].id
        )
    assert caught.value.errors[0].field == "user_id"
    incidents.assign(
        session=session, principal=pta, incident_id=incident.id, user_id=net.users["pta"].id
    )
    assert incident.assignee_user_id == net.users["pta"].id
    entry = incidents.timeline(session=session, principal=pta, incident_id=incident.id)[-1]
    assert entry.summary == f"Assigned to {net.users['pta'].display_name}"
    # The organisation does not see internal entries such as the assignment.
    telco = net.principal(session, "telco")
    kinds = [
        e.kind
        for e in incidents.timeline(session=session, principal=telco, incident_id=incident.id)
    ]
    assert "assigned" not in kinds


def test_an_organisation_moving_takes_its_incidents_along(session: Session, net: Network) -> None:
    handled_by_owner = _report(session, net, user="telco")
    escalated = _report(session, net, user="telco")
    pta = net.principal(session, "pta")
    incidents.escalate(session=session, principal=pta, incident_id=escalated.id, reason="up")
    constituency.update_organisation(
        session=session,
        principal=SYSTEM,
        organisation_id=net.orgs["Telco One"].id,
        data=OrganisationUpdate(cert_id=net.certs["punjabcert"].id),
    )
    session.expire_all()
    moved = session.get(Incident, handled_by_owner.id)
    assert moved is not None
    assert moved.owner_cert_id == moved.handling_cert_id == net.certs["punjabcert"].id
    kept = session.get(Incident, escalated.id)
    assert kept is not None
    assert kept.owner_cert_id == net.certs["punjabcert"].id
    assert kept.handling_cert_id == net.certs["govcert"].id
    with pytest.raises(NotFound):
        incidents.get(session=session, principal=pta, incident_id=moved.id)


def test_the_reminder_job_runs_in_its_own_unit_of_work(
    session: Session, net: Network, bound_factory: sessionmaker[Session]
) -> None:
    _report(session, net, user="telco")
    session.flush()
    names = {job.name for job in jobs.JOBS}
    assert names == {"incidents.reminders", "incidents.webhooks"}
    first = jobs.remind(bound_factory, Settings(), now=NOW + timedelta(hours=25))
    assert first == {"reminders": 0, "overdue_flags": 1}
    assert jobs.remind(bound_factory, Settings(), now=NOW + timedelta(hours=26)) == {
        "reminders": 0,
        "overdue_flags": 0,
    }
    assert jobs.deliver(bound_factory, Settings()) == {"sent": 0, "failed": 0, "retrying": 0}
