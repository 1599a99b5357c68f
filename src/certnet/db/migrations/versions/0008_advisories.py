"""advisories: authoring, CSAF, dissemination

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("tracking_id", sa.String(length=64), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "csaf_security_advisory",
                "csaf_vex",
                name="advisorycategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "tlp",
            sa.Enum(
                "CLEAR",
                "GREEN",
                "AMBER",
                "AMBER+STRICT",
                "RED",
                name="tlp",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("cves", sa.JSON(), nullable=False),
        sa.Column("cvss_v3_vector", sa.String(length=200), nullable=True),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("remediations", sa.JSON(), nullable=False),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "interim", "final", name="advisorystatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pending_changes", sa.Boolean(), nullable=False),
        sa.Column("answer_deadline", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("initial_release_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("current_release_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_advisory_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory")),
        sa.UniqueConstraint("tracking_id", name=op.f("uq_advisory_tracking_id")),
    )
    with op.batch_alter_table("advisory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_owner_cert_id"), ["owner_cert_id"], unique=False
        )
        batch_op.create_index("ix_advisory_tlp_status", ["tlp", "status"], unique=False)

    op.create_table(
        "advisory_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "interim", "final", name="advisorystatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "tlp",
            sa.Enum(
                "CLEAR",
                "GREEN",
                "AMBER",
                "AMBER+STRICT",
                "RED",
                name="tlp",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("published_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisory.id"],
            name=op.f("fk_advisory_revision_advisory_id_advisory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_advisory_revision_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_revision")),
        sa.UniqueConstraint(
            "advisory_id", "number", name=op.f("uq_advisory_revision_advisory_id_number")
        ),
    )
    with op.batch_alter_table("advisory_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_revision_owner_cert_id"), ["owner_cert_id"], unique=False
        )

    op.create_table(
        "advisory_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "patched",
                "not_affected",
                "mitigated",
                "needs_help",
                name="answerstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answered_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisory.id"],
            name=op.f("fk_advisory_answer_advisory_id_advisory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_user_id"],
            ["app_user.id"],
            name=op.f("fk_advisory_answer_answered_by_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_advisory_answer_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_advisory_answer_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_answer")),
        sa.UniqueConstraint(
            "advisory_id",
            "organisation_id",
            name=op.f("uq_advisory_answer_advisory_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("advisory_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_answer_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_advisory_answer_owner_cert_id"), ["owner_cert_id"], unique=False
        )

    op.create_table(
        "advisory_dissemination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("publisher_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("tracking_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "tlp",
            sa.Enum(
                "CLEAR",
                "GREEN",
                "AMBER",
                "AMBER+STRICT",
                "RED",
                name="tlp",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "log_tlp",
            sa.Enum(
                "CLEAR",
                "GREEN",
                "AMBER",
                "AMBER+STRICT",
                "RED",
                name="tlp",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("matched_assets", sa.JSON(), nullable=False),
        sa.Column("sent_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(length=200), nullable=False),
        sa.Column("reminded_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisory.id"],
            name=op.f("fk_advisory_dissemination_advisory_id_advisory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_advisory_dissemination_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_message.id"],
            name=op.f("fk_advisory_dissemination_outbox_message_id_outbox_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_advisory_dissemination_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["publisher_cert_id"],
            ["cert.id"],
            name=op.f("fk_advisory_dissemination_publisher_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["advisory_revision.id"],
            name=op.f("fk_advisory_dissemination_revision_id_advisory_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_dissemination")),
        sa.UniqueConstraint(
            "advisory_id",
            "version",
            "organisation_id",
            name=op.f("uq_advisory_dissemination_advisory_id_version_organisation_id"),
        ),
    )
    with op.batch_alter_table("advisory_dissemination", schema=None) as batch_op:
        batch_op.create_index(
            "ix_advisory_dissemination_advisory", ["advisory_id", "organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_advisory_dissemination_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_advisory_dissemination_owner_cert_id"), ["owner_cert_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("advisory_dissemination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_dissemination_owner_cert_id"))
        batch_op.drop_index(batch_op.f("ix_advisory_dissemination_organisation_id"))
        batch_op.drop_index("ix_advisory_dissemination_advisory")

    op.drop_table("advisory_dissemination")
    with op.batch_alter_table("advisory_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_answer_owner_cert_id"))
        batch_op.drop_index(batch_op.f("ix_advisory_answer_organisation_id"))

    op.drop_table("advisory_answer")
    with op.batch_alter_table("advisory_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_revision_owner_cert_id"))

    op.drop_table("advisory_revision")
    with op.batch_alter_table("advisory", schema=None) as batch_op:
        batch_op.drop_index("ix_advisory_tlp_status")
        batch_op.drop_index(batch_op.f("ix_advisory_owner_cert_id"))

    op.drop_table("advisory")
