"""Alembic driven from code: upgrade to head, report the revision, and detect drift."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from certnet.db.base import Base
from certnet.db.models import __all__ as _models_loaded  # noqa: F401  (registers every table)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (env.py takes the connection from attributes)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    # Read without a transaction: a busy writer must not make the answer wait.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return MigrationContext.configure(connection).get_current_revision()


def drift(engine: Engine) -> list[str]:
    """Differences between the models and the migrated schema; empty when they agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return [repr(diff) for diff in compare_metadata(context, Base.metadata)]
