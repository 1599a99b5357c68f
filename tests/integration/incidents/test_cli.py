"""``certnet incidents …`` on a real database file: report, list, show, transition, escalate,
stage; bad input exits non-zero naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from certnet.cli import app
from certnet.db.session import unit_of_work
from tests.factories import build_network

runner = CliRunner()


@pytest.fixture
def database(cli_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("CERTNET_VAR_DIR", str(tmp_path / "var"))
    with unit_of_work(cli_database) as session:
        build_network(session)
    return cli_database


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["incidents", *args])
    return result.exit_code, result.output


def test_report_list_show_and_handle(database: Engine, tmp_path: Path) -> None:
    aware = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    note = tmp_path / "note.txt"
    note.write_text("phishing kit found")
    code, output = _run(
        "report",
        "--as",
        "telco",
        "--title",
        "Phishing kit on a customer site",
        "--became-aware",
        aware,
        "--class",
        "fraud",
        "--type",
        "phishing",
        "-o",
        "https://Login-Telco.example.com/",
        "-o",
        "192.0.2.200",
        "--attach",
        str(note),
        "--json",
    )
    assert code == 0, output
    incident = json.loads(output)
    assert incident["channel"] == "cli"
    assert incident["rsit_type"] == "phishing"
    ident = str(incident["id"])

    code, output = _run("list", "--as", "pta", "--json")
    assert code == 0, output
    assert [row["id"] for row in json.loads(output)] == [incident["id"]]

    code, output = _run("transition", ident, "triaged", "--as", "pta", "--json")
    assert code == 0
    assert json.loads(output)["status"] == "triaged"

    code, output = _run("escalate", ident, "--reason", "spreads to banks", "--as", "pta", "--json")
    assert code == 0, output
    assert json.loads(output)["handling_cert_id"] != incident["handling_cert_id"]

    code, output = _run(
        "stage", ident, "initial_report", "--report", "kit taken down", "--as", "telco", "--json"
    )
    assert code == 0, output
    assert json.loads(output)[0]["state"] == "submitted"

    code, output = _run("show", ident, "--as", "pta", "--json")
    assert code == 0, output
    shown = json.loads(output)
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds[:1] == ["reported"]
    assert "escalated" in kinds
    assert "stage_submitted" in kinds
    assert shown["evidence"][0]["filename"] == "note.txt"

    code, output = _run("lookup", "https://login-telco.example.com", "--as", "pta", "--json")
    assert code == 0
    assert json.loads(output)[0]["incident_id"] == incident["id"]


def test_bad_input_exits_naming_the_field(database: Engine) -> None:
    aware = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    code, output = _run(
        "report",
        "--as",
        "telco",
        "--title",
        "From the future",
        "--became-aware",
        aware,
        "--class",
        "fraud",
        "--type",
        "phishing",
    )
    assert code == 2
    assert "became_aware_at" in output
    code, output = _run(
        "report",
        "--as",
        "telco",
        "--title",
        "Unknown type",
        "--became-aware",
        "2026-01-01T00:00:00",
        "--class",
        "fraud",
        "--type",
        "tax-evasion",
    )
    assert code == 2
    assert "rsit_type" in output
    code, output = _run("escalate", "999", "--reason", "nothing there", "--as", "pta")
    assert code == 1
    assert "not found" in output
