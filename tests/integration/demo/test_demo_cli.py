"""``certnet demo`` from the shell: loads once, says so, prints the logins; a second run
changes nothing and says that too. (An embedded SQLite file, as ``make demo`` uses.)"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.cli import app
from certnet.constituency.models import Organisation, Resource
from certnet.core.models import AuditEntry
from certnet.db.session import make_engine
from certnet.demo import generator

runner = CliRunner()


@pytest.fixture
def demo_db(cli_database: Engine) -> str:
    return cli_database.url.render_as_string(hide_password=False)


def _counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        counted = tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organisation, Resource, AuditEntry)
        )
    engine.dispose()
    return counted  # type: ignore[return-value]


def test_demo_loads_then_verifies(demo_db: str) -> None:
    first = runner.invoke(app, ["demo", "--organisations", "40", "--seed", "11"])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo network" in first.output
    for user in ("admin", "certadmin", "analyst", "auditor", "council", "bank-admin"):
        assert user in first.output
    assert generator.DEMO_PASSWORD in first.output
    assert generator.URL in first.output
    after_first = _counts(demo_db)
    assert after_first[0] == 40

    second = runner.invoke(app, ["demo", "--organisations", "40", "--seed", "11", "--json"])
    assert second.exit_code == 0, second.output
    outcome = json.loads(second.output)
    assert outcome["created"] is False
    assert outcome["organisations"] == 40
    assert _counts(demo_db) == after_first


def test_demo_with_another_seed_is_refused_and_changes_nothing(demo_db: str) -> None:
    assert runner.invoke(app, ["demo", "--organisations", "30"]).exit_code == 0
    before = _counts(demo_db)
    other = runner.invoke(app, ["demo", "--organisations", "30", "--seed", "4"])
    assert other.exit_code == 1
    assert "nothing was changed" in other.output
    assert _counts(demo_db) == before


def test_demo_refuses_a_size_out_of_range(demo_db: str) -> None:
    result = runner.invoke(app, ["demo", "--organisations", "5"])
    assert result.exit_code == 2
    assert _counts(demo_db) == (0, 0, 0)
