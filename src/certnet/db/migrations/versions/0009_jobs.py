"""jobs: feed sources, and the durable queue's tables (procrastinate, PostgreSQL only)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

import certnet.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: procrastinate's tables and functions live in a schema of their own, so they never mix
#: with certnet's (nor show up as drift when the models are compared with the database).
QUEUE_SCHEMA = "procrastinate"


_PIN_SEARCH_PATH = """
DO $$
DECLARE
    routine record;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure AS signature
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'procrastinate'
    LOOP
        EXECUTE format(
            'ALTER FUNCTION %s SET search_path = procrastinate, pg_catalog', routine.signature
        );
    END LOOP;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "feed_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("folder", "http", "imap", name="sourcekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=2000), nullable=False),
        sa.Column("parser", sa.String(length=64), nullable=False),
        sa.Column("report_type", sa.String(length=64), nullable=True),
        sa.Column("mapping_path", sa.String(length=1000), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("secret_env", sa.String(length=128), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("last_collected_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_feed_source_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_source")),
        sa.UniqueConstraint("name", name=op.f("uq_feed_source_name")),
    )
    with op.batch_alter_table("feed_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feed_source_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        # A schema left by an earlier database in the same cluster (its public schema
        # dropped) would make the CREATEs fail; the queue starts empty with certnet's tables.
        op.execute(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
        op.execute(f"CREATE SCHEMA {QUEUE_SCHEMA}")
        op.execute(f"SET LOCAL search_path TO {QUEUE_SCHEMA}")
        # Straight to the driver without parameters: the schema is plain SQL with ``%`` in
        # it, which any parameter style would take for a placeholder.
        cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())
        # procrastinate's functions and triggers name its tables unqualified; pinning their
        # search_path lets any connection (certnet's own, a cleanup script) touch the queue.
        cursor.execute(_PIN_SEARCH_PATH)
        op.execute("SET LOCAL search_path TO DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    with op.batch_alter_table("feed_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_source_owner_cert_id"))
    op.drop_table("feed_source")
