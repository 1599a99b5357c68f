"""findings: the constituency notification loop

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = (sa, op, certnet.db.base)


def upgrade() -> None:
    op.create_table(
        "finding_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=64), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("report_type", sa.String(length=64), nullable=False),
        sa.Column(
            "interval",
            sa.Enum("immediate", "daily", "weekly", name="interval", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_finding_notification_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_finding_notification_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_notification")),
        sa.UniqueConstraint(
            "organisation_id",
            "report_type",
            "period",
            name=op.f("uq_finding_notification_organisation_id_report_type_period"),
        ),
        sa.UniqueConstraint("ticket", name=op.f("uq_finding_notification_ticket")),
    )
    with op.batch_alter_table("finding_notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finding_notification_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finding_notification_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "notification_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column(
            "interval",
            sa.Enum("immediate", "daily", "weekly", name="interval", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_notification_interval_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_notification_interval_owner_cert_id_cert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_interval")),
        sa.UniqueConstraint(
            "organisation_id", name=op.f("uq_notification_interval_organisation_id")
        ),
    )
    with op.batch_alter_table("notification_interval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_interval_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "suppression_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("report_type", sa.String(length=64), nullable=True),
        sa.Column("network", sa.String(length=64), nullable=True),
        sa.Column("ip_version", sa.Integer(), nullable=True),
        sa.Column("first_address", sa.String(length=32), nullable=True),
        sa.Column("last_address", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("expires_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("lifted_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_suppression_rule_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_suppression_rule_owner_cert_id_cert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppression_rule")),
    )
    with op.batch_alter_table("suppression_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suppression_rule_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_suppression_rule_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "contact_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "language",
            sa.Enum("en", "ur", name="language", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "mail_format",
            sa.Enum("html", "text", name="mailformat", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("attach_csv", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.JSON(), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_contact_preference_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_contact_preference_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_contact_preference_owner_cert_id_cert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_preference")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_contact_preference_contact_id")),
    )
    with op.batch_alter_table("contact_preference", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_preference_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_preference_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=True),
        sa.Column("cii", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("report_type", sa.String(length=64), nullable=False),
        sa.Column("issue", sa.String(length=128), nullable=False),
        sa.Column("classification_taxonomy", sa.String(length=64), nullable=True),
        sa.Column("classification_type", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("ip_version", sa.Integer(), nullable=True),
        sa.Column("ip_hex", sa.String(length=32), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "notified",
                "acknowledged",
                "fixed",
                "verified",
                "reopened",
                name="findingstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("first_seen", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("sightings", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("fixed_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fixed_by", sa.String(length=200), nullable=True),
        sa.Column("fixed_note", sa.String(length=2000), nullable=True),
        sa.Column("verified_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_after_claim", sa.Boolean(), nullable=True),
        sa.Column("reopened_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("last_notification_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run_id"],
            ["feed_run.id"],
            name=op.f("fk_finding_first_run_id_feed_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["last_event_id"],
            ["event.id"],
            name=op.f("fk_finding_last_event_id_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["last_notification_id"],
            ["finding_notification.id"],
            name=op.f("fk_finding_last_notification_id_finding_notification"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["feed_run.id"],
            name=op.f("fk_finding_last_run_id_feed_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_finding_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_finding_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint("key", name=op.f("uq_finding_key")),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index("ix_finding_feed", ["source", "report_type", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_finding_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_finding_organisation_state", ["organisation_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finding_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "finding_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "open",
                "notified",
                "acknowledged",
                "fixed",
                "verified",
                "reopened",
                name="findingstate",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "open",
                "notified",
                "acknowledged",
                "fixed",
                "verified",
                "reopened",
                name="findingstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("feed_run_id", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["app_user.id"],
            name=op.f("fk_finding_history_actor_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feed_run_id"],
            ["feed_run.id"],
            name=op.f("fk_finding_history_feed_run_id_feed_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["finding.id"],
            name=op.f("fk_finding_history_finding_id_finding"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["finding_notification.id"],
            name=op.f("fk_finding_history_notification_id_finding_notification"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_finding_history_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_finding_history_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_history")),
    )
    with op.batch_alter_table("finding_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finding_history_finding_id"), ["finding_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finding_history_owner_cert_id"), ["owner_cert_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("finding_history")
    op.drop_table("finding")
    op.drop_table("contact_preference")
    op.drop_table("suppression_rule")
    op.drop_table("notification_interval")
    op.drop_table("finding_notification")
