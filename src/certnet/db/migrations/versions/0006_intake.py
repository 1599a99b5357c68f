"""incident intake: mail quarantine

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("received_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("envelope_from", sa.String(length=320), nullable=False),
        sa.Column("header_from", sa.String(length=320), nullable=False),
        sa.Column("recipients", sa.String(length=1000), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "unknown_sender",
                "ambiguous_sender",
                "no_body",
                "broken_mime",
                "oversize",
                "disallowed_attachment",
                "refused",
                name="quarantinereason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.String(length=2000), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "held",
                "released",
                "dismissed",
                name="quarantinestate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_intake_quarantine_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_intake_quarantine_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_intake_quarantine_incident_id_incident"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_quarantine")),
    )
    with op.batch_alter_table("intake_quarantine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intake_quarantine_owner_cert_id"), ["owner_cert_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_intake_quarantine_raw_sha256"), ["raw_sha256"], unique=False
        )
        batch_op.create_index(
            "ix_intake_quarantine_state", ["owner_cert_id", "state", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_quarantine_state")
        batch_op.drop_index(batch_op.f("ix_intake_quarantine_raw_sha256"))
        batch_op.drop_index(batch_op.f("ix_intake_quarantine_owner_cert_id"))
    op.drop_table("intake_quarantine")
