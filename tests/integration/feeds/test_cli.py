"""``certnet feeds ingest|runs|quarantine`` on a real database file: the CLI commits after
each batch, so an interrupted command can be run again without loss or duplicates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from certnet.cli import app
from certnet.db.session import unit_of_work
from certnet.feeds import service
from certnet.feeds.models import Event, FeedRun, RunState
from tests.factories import build_network
from tests.integration.feeds.fakes import ParserCrashed, ScanTestParser, report, seen

runner = CliRunner()

ROWS: list[Any] = [(seen(h % 24), f"203.0.113.{h % 40}", 443, "", "http") for h in range(120)]
ROWS += ["broken,row"]


@pytest.fixture
def database(cli_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setitem(service.PARSERS, "test", ScanTestParser)
    with unit_of_work(cli_database) as session:
        build_network(session)
    return cli_database


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "scan_test.csv"
    path.write_bytes(report(ROWS))
    return path


def test_ingest_prints_the_summary_then_runs_and_quarantine(
    database: Engine, report_file: Path
) -> None:
    result = runner.invoke(app, ["feeds", "ingest", str(report_file), "--source", "test"])
    assert result.exit_code == 0, result.output
    for word in ("rows", "stored", "duplicates", "quarantined", "unowned", "rows/s", "121"):
        assert word in result.output
    as_json = runner.invoke(
        app, ["feeds", "ingest", str(report_file), "--source", "test", "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    summary = json.loads(as_json.output)
    assert summary["already_ingested"] is True
    assert (summary["rows"], summary["stored"], summary["duplicates"], summary["quarantined"]) == (
        121,
        40,
        80,
        1,
    )
    runs = json.loads(runner.invoke(app, ["feeds", "runs", "--json"]).output)
    assert [r["id"] for r in runs] == [summary["id"]]
    quarantine = runner.invoke(app, ["feeds", "quarantine", str(summary["id"]), "--json"])
    assert [(q["line"], q["raw"]) for q in json.loads(quarantine.output)] == [(122, "broken,row")]
    table = runner.invoke(app, ["feeds", "quarantine", str(summary["id"])])
    assert "expected 5 columns" in table.output
    assert "broken,row" in table.output


def test_unknown_report_type_exits_with_a_message(database: Engine, report_file: Path) -> None:
    result = runner.invoke(
        app, ["feeds", "ingest", str(report_file), "--source", "test", "--type", "scan_nothing"]
    )
    assert result.exit_code == 2
    assert "scan_nothing" in result.output
    assert "scan_test" in result.output
    unknown_source = runner.invoke(app, ["feeds", "ingest", str(report_file), "--source", "nobody"])
    assert unknown_source.exit_code == 2
    assert "nobody" in unknown_source.output


def test_an_interrupted_command_is_run_again(
    database: Engine, report_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(service.PARSERS, "crashing", lambda: ScanTestParser(crash_after_batches=2))
    crashed = runner.invoke(
        app,
        ["feeds", "ingest", str(report_file), "--source", "crashing", "--batch-size", "25"],
    )
    assert isinstance(crashed.exception, ParserCrashed)
    with unit_of_work(database) as session:
        run = session.scalars(select(FeedRun)).one()
        # The committed batches stayed; the run says it did not finish.
        assert run.state is RunState.INTERRUPTED
        assert run.rows > 0
        assert session.scalar(select(func.count()).select_from(Event)) == run.stored > 0
    again = runner.invoke(app, ["feeds", "ingest", str(report_file), "--source", "test", "--json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    assert (summary["rows"], summary["stored"] + summary["duplicates"], summary["accounted"]) == (
        121,
        120,
        True,
    )
    with unit_of_work(database) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 40
