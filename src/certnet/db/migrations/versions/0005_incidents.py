"""incidents: reports, routing, clocks, case handling

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_incident_setting_owner_cert_id_cert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_setting")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_incident_setting_kind_key")),
    )
    op.create_table(
        "incident_webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_incident_webhook_owner_cert_id_cert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_webhook")),
    )
    with op.batch_alter_table("incident_webhook", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_webhook_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "incident_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("handler", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_incident_tally_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_tally")),
        sa.UniqueConstraint(
            "organisation_id",
            "handler",
            "status",
            "tlp",
            name=op.f("uq_incident_tally_organisation_id_handler_status_tlp"),
        ),
    )
    with op.batch_alter_table("incident_tally", schema=None) as batch_op:
        batch_op.create_index("ix_incident_tally_handler", ["handler"], unique=False)
    op.create_table(
        "incident_webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("delivered_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["incident_webhook.id"],
            name=op.f("fk_incident_webhook_delivery_webhook_id_incident_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_webhook_delivery")),
        sa.UniqueConstraint("key", name=op.f("uq_incident_webhook_delivery_key")),
    )
    with op.batch_alter_table("incident_webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_webhook_delivery_due", ["state", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_webhook_delivery_webhook_id"), ["webhook_id"], unique=False
        )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("handling_cert_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "portal",
                "api",
                "cli",
                "email",
                "feed",
                "console",
                name="channel",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=200), nullable=True),
        sa.Column("reporter_email", sa.String(length=254), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "triaged",
                "in_progress",
                "contained",
                "resolved",
                "closed",
                "rejected",
                "duplicate",
                name="incidentstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum(
                "low", "medium", "high", "critical", name="severity", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("rsit_class", sa.String(length=64), nullable=False),
        sa.Column("rsit_type", sa.String(length=64), nullable=False),
        sa.Column("certin_type", sa.String(length=64), nullable=True),
        sa.Column("root_cause", sa.String(length=64), nullable=True),
        sa.Column("outlook", sa.String(length=64), nullable=True),
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
            "pap",
            sa.Enum("CLEAR", "GREEN", "AMBER", "RED", name="pap", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("sector", sa.String(length=64), nullable=False),
        sa.Column("became_aware_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("services_affected", sa.JSON(), nullable=False),
        sa.Column("users_affected", sa.BigInteger(), nullable=True),
        sa.Column("data_affected", sa.String(length=64), nullable=True),
        sa.Column("cross_border", sa.Boolean(), nullable=False),
        sa.Column("financial_loss", sa.BigInteger(), nullable=True),
        sa.Column("harm_to_others", sa.Boolean(), nullable=False),
        sa.Column("cii_involved", sa.Boolean(), nullable=False),
        sa.Column("sectors_affected", sa.JSON(), nullable=False),
        sa.Column("provinces_affected", sa.JSON(), nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("next_due_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("status_before_merge", sa.String(length=16), nullable=True),
        sa.Column("escalated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contained_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["app_user.id"],
            name=op.f("fk_incident_assignee_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handling_cert_id"],
            ["cert.id"],
            name=op.f("fk_incident_handling_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["incident.id"], name=op.f("fk_incident_merged_into_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_incident_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_incident_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_handled_elsewhere",
            ["handling_cert_id", "id"],
            unique=False,
            postgresql_include=["status", "tlp", "next_due_at", "owner_cert_id"],
            postgresql_where=sa.text("handling_cert_id <> owner_cert_id"),
            sqlite_where=sa.text("handling_cert_id <> owner_cert_id"),
        )
        batch_op.create_index(
            "ix_incident_handling_queue", ["handling_cert_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_incident_handling_status",
            ["handling_cert_id", "status", "id"],
            unique=False,
            postgresql_include=["tlp", "next_due_at", "owner_cert_id"],
        )
        batch_op.create_index(
            batch_op.f("ix_incident_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_incident_owner_queue",
            ["owner_cert_id", "status", "id"],
            unique=False,
            postgresql_include=["tlp", "next_due_at", "handling_cert_id"],
        )
        batch_op.create_index(
            "ix_incident_red",
            ["owner_cert_id", "status"],
            unique=False,
            postgresql_where=sa.text("tlp = 'RED'"),
            sqlite_where=sa.text("tlp = 'RED'"),
        )
    op.create_table(
        "incident_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_comment_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_comment")),
    )
    with op.batch_alter_table("incident_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_comment_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.String(length=512), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_evidence_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_evidence")),
    )
    with op.batch_alter_table("incident_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_evidence_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("other_incident_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "related", "correlated", "duplicate", name="linkkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("observable_kind", sa.String(length=16), nullable=True),
        sa.Column("value_hash", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_link_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_link_other_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_incident_link_owner_cert_id_cert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_link")),
        sa.UniqueConstraint(
            "incident_id",
            "other_incident_id",
            "kind",
            name=op.f("uq_incident_link_incident_id_other_incident_id_kind"),
        ),
    )
    with op.batch_alter_table("incident_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_link_other_incident_id"), ["other_incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_link_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "incident_observable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "ipv4",
                "ipv6",
                "cidr",
                "domain",
                "url",
                "email",
                "md5",
                "sha1",
                "sha256",
                "cve",
                "asn",
                name="observablekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("value_hash", sa.BigInteger(), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_observable_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_observable")),
        sa.UniqueConstraint(
            "value_hash", "incident_id", name=op.f("uq_incident_observable_value_hash_incident_id")
        ),
    )
    with op.batch_alter_table("incident_observable", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_observable_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reminded_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_flagged_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_stage_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_stage")),
        sa.UniqueConstraint(
            "incident_id", "clock_id", name=op.f("uq_incident_stage_incident_id_clock_id")
        ),
    )
    with op.batch_alter_table("incident_stage", schema=None) as batch_op:
        batch_op.create_index("ix_incident_stage_due", ["submitted_at", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incident_stage_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "done", "cancelled", name="taskstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("playbook", sa.String(length=64), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("due_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["app_user.id"],
            name=op.f("fk_incident_task_assignee_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_task_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_task")),
    )
    with op.batch_alter_table("incident_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_task_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_timeline_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_timeline")),
    )
    with op.batch_alter_table("incident_timeline", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_timeline_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_evidence_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("sha256_ok", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["incident_evidence.id"],
            name=op.f("fk_incident_evidence_access_evidence_id_incident_evidence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_evidence_access")),
    )
    with op.batch_alter_table("incident_evidence_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_evidence_access_evidence_id"), ["evidence_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_evidence_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_evidence_access_evidence_id"))
    op.drop_table("incident_evidence_access")
    with op.batch_alter_table("incident_timeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_timeline_incident_id"))
    op.drop_table("incident_timeline")
    with op.batch_alter_table("incident_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_task_incident_id"))
    op.drop_table("incident_task")
    with op.batch_alter_table("incident_stage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_stage_incident_id"))
        batch_op.drop_index("ix_incident_stage_due")
    op.drop_table("incident_stage")
    with op.batch_alter_table("incident_observable", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_observable_incident_id"))
    op.drop_table("incident_observable")
    with op.batch_alter_table("incident_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_link_owner_cert_id"))
        batch_op.drop_index(batch_op.f("ix_incident_link_other_incident_id"))
    op.drop_table("incident_link")
    with op.batch_alter_table("incident_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_evidence_incident_id"))
    op.drop_table("incident_evidence")
    with op.batch_alter_table("incident_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_comment_incident_id"))
    op.drop_table("incident_comment")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_incident_red",
            postgresql_where=sa.text("tlp = 'RED'"),
            sqlite_where=sa.text("tlp = 'RED'"),
        )
        batch_op.drop_index(
            "ix_incident_owner_queue", postgresql_include=["tlp", "next_due_at", "handling_cert_id"]
        )
        batch_op.drop_index(batch_op.f("ix_incident_organisation_id"))
        batch_op.drop_index(
            "ix_incident_handling_status",
            postgresql_include=["tlp", "next_due_at", "owner_cert_id"],
        )
        batch_op.drop_index("ix_incident_handling_queue")
        batch_op.drop_index(
            "ix_incident_handled_elsewhere",
            postgresql_include=["status", "tlp", "next_due_at", "owner_cert_id"],
            postgresql_where=sa.text("handling_cert_id <> owner_cert_id"),
            sqlite_where=sa.text("handling_cert_id <> owner_cert_id"),
        )
    op.drop_table("incident")
    with op.batch_alter_table("incident_webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_webhook_delivery_webhook_id"))
        batch_op.drop_index("ix_incident_webhook_delivery_due")
    op.drop_table("incident_webhook_delivery")
    with op.batch_alter_table("incident_tally", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_tally_handler")
    op.drop_table("incident_tally")
    with op.batch_alter_table("incident_webhook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_webhook_owner_cert_id"))
    op.drop_table("incident_webhook")
    op.drop_table("incident_setting")
