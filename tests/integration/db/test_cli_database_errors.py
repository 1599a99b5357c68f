"""A CLI command on a database that is not there, or not migrated, says so and what to do —
no traceback, a non-zero exit, and never the password of the URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from certnet.cli import app
from certnet.config import get_settings
from certnet.db.session import default_engine


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield
    default_engine().dispose()
    default_engine.cache_clear()
    get_settings.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("CERTNET_DATABASE_URL", url)
    get_settings.cache_clear()
    default_engine.cache_clear()


def test_a_database_never_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: None
) -> None:
    _use(monkeypatch, f"sqlite:///{tmp_path / 'new.sqlite3'}")
    result = CliRunner().invoke(app, ["certs", "list"])
    assert result.exit_code == 1
    assert "certnet db upgrade" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_an_unreachable_database_hides_the_password(
    monkeypatch: pytest.MonkeyPatch, database_url: None
) -> None:
    # Port 1 on the loopback address: nothing listens there.
    _use(monkeypatch, "postgresql+psycopg://certnet:s3cret-pw@127.0.0.1:1/certnet")
    result = CliRunner().invoke(app, ["orgs", "list"])
    assert result.exit_code == 1
    assert "cannot reach the database" in " ".join(result.output.split())
    assert "s3cret-pw" not in result.output
