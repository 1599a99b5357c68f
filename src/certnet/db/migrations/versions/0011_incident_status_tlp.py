"""incidents: a (status, tlp) index for the whole-nation queue counts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 19:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_status_tlp",
            ["status", "tlp"],
            unique=False,
            postgresql_include=["next_due_at", "owner_cert_id", "handling_cert_id", "id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_status_tlp")
