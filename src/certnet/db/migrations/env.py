"""Alembic environment: runs against the engine that certnet.db.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from certnet.db.base import Base
from certnet.db.models import __all__ as _models_loaded  # noqa: F401  (registers every table)
from certnet.db.session import default_engine

config = context.config
engine: Engine = config.attributes.get("engine") or default_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite needs table rebuilds for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
