"""``certnet advisories create|list|show|publish|export|answers`` on a real database file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from certnet.cli import app
from certnet.db.session import unit_of_work
from tests.factories import build_network
from tests.integration.advisories.conftest import advisory_data, run_assets
from tests.unit.advisories.csaf_judge import csaf_errors

runner = CliRunner()


@pytest.fixture
def database(cli_database: Engine) -> Engine:
    with unit_of_work(cli_database) as session:
        run_assets(session, build_network(session))
    return cli_database


def test_create_publish_export_and_answers(database: Engine, tmp_path: Path) -> None:
    source = tmp_path / "advisory.json"
    source.write_text(json.dumps(advisory_data()), encoding="utf-8")
    made = runner.invoke(app, ["advisories", "create", str(source), "--as", "national", "--json"])
    assert made.exit_code == 0, made.output
    tracking_id = json.loads(made.output)["tracking_id"]

    listed = json.loads(runner.invoke(app, ["advisories", "list", "--json"]).output)
    assert [a["tracking_id"] for a in listed] == [tracking_id]

    published = runner.invoke(app, ["advisories", "publish", tracking_id, "--as", "national"])
    assert published.exit_code == 0, published.output
    assert "sent to 2 organisation(s)" in published.output

    exported = runner.invoke(app, ["advisories", "export", tracking_id])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.output)
    assert csaf_errors(document) == []
    assert document["document"]["tracking"]["id"] == tracking_id

    board = json.loads(runner.invoke(app, ["advisories", "answers", tracking_id, "--json"]).output)
    assert board["counts"]["targeted"] == 2
    assert board["counts"]["answered"] == 0

    shown = json.loads(runner.invoke(app, ["advisories", "show", tracking_id, "--json"]).output)
    assert [r["number"] for r in shown["revisions"]] == [1]
    assert len(shown["disseminations"]) == 2


def test_bad_input_exits_non_zero_naming_the_field(database: Engine, tmp_path: Path) -> None:
    source = tmp_path / "advisory.json"
    source.write_text(json.dumps(advisory_data(cves=["CVE-1"])), encoding="utf-8")
    result = runner.invoke(app, ["advisories", "create", str(source), "--as", "national"])
    assert result.exit_code == 2
    assert "cves" in result.output
    missing = runner.invoke(app, ["advisories", "show", "PKCERT-1999-0001"])
    assert missing.exit_code == 1
    assert "not found" in missing.output
    refused = runner.invoke(app, ["advisories", "publish", "PKCERT-1999-0001", "--status", "draft"])
    assert refused.exit_code == 2
    assert "--status" in refused.output
