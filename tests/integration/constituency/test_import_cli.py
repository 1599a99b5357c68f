"""``certnet constituency import``: the same import from a shell, on a real database file.

The CLI opens its own unit of work on ``CERTNET_DATABASE_URL`` and commits, so these tests use
a SQLite file of their own rather than the rolled-back test session (the PostgreSQL runs of
the importer itself are in test_import.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from certnet.cli import app
from certnet.config import get_settings
from certnet.constituency.models import Organisation, Resource
from certnet.db.session import unit_of_work
from tests.factories import build_network
from tests.integration.constituency.test_import import GOOD_CSV

runner = CliRunner()


@pytest.fixture
def database(cli_database: Engine) -> Engine:
    with unit_of_work(cli_database) as session:
        build_network(session)
    return cli_database


def _orgs(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(Organisation)) or 0


def test_dry_run_then_import(database: Engine, tmp_path: Path) -> None:
    path = tmp_path / "constituency.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    before = _orgs(database)
    dry = runner.invoke(app, ["constituency", "import", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert (report["dry_run"], report["organisations_created"]) == (True, 2)
    assert _orgs(database) == before
    real = runner.invoke(app, ["constituency", "import", str(path)])
    assert real.exit_code == 0, real.output
    assert "2 created" in real.stdout
    assert _orgs(database) == before + 2
    again = runner.invoke(app, ["constituency", "import", str(path), "--json"])
    assert json.loads(again.stdout)["organisations_unchanged"] == 2


def test_bad_rows_exit_non_zero_naming_each(database: Engine, tmp_path: Path) -> None:
    path = tmp_path / "constituency.csv"
    path.write_text(
        GOOD_CSV + "Broken,ptacert,telecom,,,,,,AS0,,,,,,\nNo Cert,nope,power,,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    before = _orgs(database)
    result = runner.invoke(app, ["constituency", "import", str(path)])
    assert result.exit_code == 2
    assert "line 5: resources" in result.stderr
    assert "line 6: cert" in result.stderr
    assert _orgs(database) == before
    with unit_of_work(database) as session:
        assert session.scalar(select(Resource).where(Resource.value == "198.18.0.0/24")) is None


def test_acting_as_a_user_applies_their_rights(database: Engine, tmp_path: Path) -> None:
    path = tmp_path / "constituency.json"
    path.write_text(
        json.dumps([{"name": "Gwadar Port", "cert": "ptacert", "sector": "transport"}]),
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["constituency", "import", str(path), "--as", "sbp"])
    assert refused.exit_code == 2
    assert "organisations[0].cert" in refused.stderr
    allowed = runner.invoke(app, ["constituency", "import", str(path), "--as", "pta"])
    assert allowed.exit_code == 0, allowed.output
    constituent = runner.invoke(app, ["constituency", "import", str(path), "--as", "telco"])
    assert constituent.exit_code == 1
    assert "may not import" in constituent.stderr


def test_unknown_profile_is_a_clear_cli_error(
    database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERTNET_PROFILE", "nope")
    get_settings.cache_clear()
    path = tmp_path / "constituency.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = runner.invoke(app, ["constituency", "import", str(path)])
    assert result.exit_code != 0
    assert "unknown profile 'nope'" in result.stderr
    assert "pk_cert_rules_2023" in result.stderr


def test_a_missing_file(database: Engine, tmp_path: Path) -> None:
    result = runner.invoke(app, ["constituency", "import", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2  # click's usage error, before any database work
    assert "Error" in result.output
