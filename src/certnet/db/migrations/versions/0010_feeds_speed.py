"""feeds: lighter event storage

Fewer, smaller indexes on ``event`` (each one is paid by every row a feed stores): the
fingerprint shrinks to its first 128 bits (32 hex digits, what the pipeline now computes, so
stored events still match re-read rows), its unique key drops the report type (hashed into
the fingerprint already), the unused address-range index goes, and the organisation index
serves the listing's keyset paging (organisation, id) instead of (organisation, time).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = (sa, op, certnet.db.base)


def upgrade() -> None:
    op.execute("UPDATE event SET fingerprint = substr(fingerprint, 1, 32)")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_event_report_type_fingerprint_first_seen", type_="unique")
        batch_op.drop_index("ix_event_range")
        batch_op.drop_index("ix_event_organisation_time")
        batch_op.alter_column(
            "fingerprint",
            existing_type=sa.String(length=64),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_event_fingerprint_first_seen"), ["fingerprint", "first_seen"]
        )
        batch_op.create_index("ix_event_organisation", ["organisation_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_organisation")
        batch_op.drop_constraint(batch_op.f("uq_event_fingerprint_first_seen"), type_="unique")
        batch_op.alter_column(
            "fingerprint",
            existing_type=sa.String(length=32),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.create_index(
            "ix_event_organisation_time", ["organisation_id", "time_source"], unique=False
        )
        batch_op.create_index("ix_event_range", ["ip_version", "ip_hex"], unique=False)
        batch_op.create_unique_constraint(
            "uq_event_report_type_fingerprint_first_seen",
            ["report_type", "fingerprint", "first_seen"],
        )
