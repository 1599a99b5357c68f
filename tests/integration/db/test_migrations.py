"""`certnet db upgrade` then `certnet db check` agree with the models; drift is named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from certnet.cli import app as cli
from certnet.config import get_settings
from certnet.db.session import default_engine, make_engine
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A database the CLI opens itself: a fresh SQLite file, or the test PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'certnet.sqlite3'}"
    elif POSTGRES_URL:
        url = POSTGRES_URL
    else:
        message = "CERTNET_TEST_POSTGRES_URL is not set"
        if REQUIRE_POSTGRES:
            pytest.fail(message)  # in CI a PostgreSQL test fails, never skips
        pytest.skip(message)
    monkeypatch.setenv("CERTNET_DATABASE_URL", url)
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield url
    default_engine().dispose()
    default_engine.cache_clear()


def test_upgrade_then_check_then_drift(database_url: str) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    checked = runner.invoke(cli, ["db", "check"])
    assert checked.exit_code == 0, checked.output
    assert "no drift" in checked.output
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE organisation ADD COLUMN shadow_notes VARCHAR(50)"))
        drifted = runner.invoke(cli, ["db", "check"])
        assert drifted.exit_code != 0
        assert "shadow_notes" in drifted.output
        assert "organisation" in drifted.output
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE organisation DROP COLUMN shadow_notes"))
        engine.dispose()
