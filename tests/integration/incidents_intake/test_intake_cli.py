"""``certnet intake``: list, show, release and dismiss quarantined mails from a shell, on the
CLI's own SQLite file (what the commands commit stays in the test's file)."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.cli import app
from certnet.incidents.intake import service as intake
from certnet.incidents.intake.smtp import parse_listen
from tests.factories import build_network
from tests.integration.incidents_intake.conftest import report_mail

runner = CliRunner()


@pytest.fixture
def filled(cli_database: Engine) -> tuple[dict[str, int], list[int]]:
    """The organisations' ids and two quarantined mails (unknown senders) in the CLI's file."""
    with Session(cli_database, expire_on_commit=False) as session:
        net = build_network(session)
        ids = []
        for n, sender in enumerate(("a@elsewhere.example", "b@elsewhere.example")):
            mail: EmailMessage = report_mail(sender, subject=f"Report {n}", body="Type: phishing\n")
            outcome = intake.receive(
                session=session,
                raw=mail.as_bytes(),
                envelope_from=sender,
                recipients=["incidents@pkcert.example.pk"],
                receiving_cert_id=net.certs["pkcert"].id,
            )
            assert outcome.quarantine_id is not None
            ids.append(outcome.quarantine_id)
        orgs = {name: org.id for name, org in net.orgs.items()}
        session.commit()
    return orgs, ids


def test_list_show_release_and_dismiss(filled: tuple[dict[str, int], list[int]]) -> None:
    orgs, (first, second) = filled
    listed = runner.invoke(app, ["intake", "quarantine", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [second, first]
    assert {r["reason"] for r in rows} == {"unknown_sender"}

    shown = runner.invoke(app, ["intake", "show", str(first), "--raw"])
    assert shown.exit_code == 0
    assert "Subject: Report 0" in shown.stdout

    released = runner.invoke(
        app,
        ["intake", "release", str(first), "--organisation", str(orgs["First Bank"]),
         "--as", "national"],
    )  # fmt: skip
    assert released.exit_code == 0, released.output
    assert f"released #{first} as incident INC-" in released.stdout

    no_note = runner.invoke(app, ["intake", "dismiss", str(second), "--note", " "])
    assert no_note.exit_code == 2
    assert "note" in no_note.stderr
    dismissed = runner.invoke(app, ["intake", "dismiss", str(second), "--note", "spam"])
    assert dismissed.exit_code == 0, dismissed.output

    held = json.loads(runner.invoke(app, ["intake", "quarantine", "--json"]).stdout)
    assert held == []
    every = json.loads(runner.invoke(app, ["intake", "quarantine", "--all", "--json"]).stdout)
    assert {r["id"]: r["state"] for r in every} == {first: "released", second: "dismissed"}


def test_a_constituent_sees_no_quarantine(filled: tuple[dict[str, int], list[int]]) -> None:
    _, (first, _) = filled
    listed = runner.invoke(app, ["intake", "quarantine", "--json", "--as", "bankreporter"])
    assert listed.exit_code == 0
    assert json.loads(listed.stdout) == []
    shown = runner.invoke(app, ["intake", "show", str(first), "--as", "bankreporter"])
    assert shown.exit_code == 1
    assert "not found" in shown.stderr


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert parse_listen("[::1]:25") == ("::1", 25)
    for bad in ("2525", "host:", "host:99999"):
        with pytest.raises(ValueError, match="host:port"):
            parse_listen(bad)
    answer = runner.invoke(app, ["intake", "smtp", "--listen", "nonsense"])
    assert answer.exit_code == 2
    assert "--listen" in answer.stderr
