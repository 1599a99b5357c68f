"""risk: assets, vulnerabilities, exposures, measures

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certnet.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "csaf_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=False),
        sa.Column("tracking_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column(
            "current_release_date", certnet.db.base.UTCDateTime(timezone=True), nullable=False
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
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_csaf_document_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csaf_document")),
        sa.UniqueConstraint(
            "publisher", "tracking_id", name=op.f("uq_csaf_document_publisher_tracking_id")
        ),
    )
    with op.batch_alter_table("csaf_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csaf_document_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "intel_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.Column("at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_intel_import_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_import")),
    )
    with op.batch_alter_table("intel_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intel_import_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "vulnerability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=128), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
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
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("published_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("record_updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cvss_version", sa.String(length=8), nullable=True),
        sa.Column("cvss_vector", sa.String(length=300), nullable=True),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("cvss_severity", sa.String(length=16), nullable=True),
        sa.Column("epss", sa.Float(), nullable=True),
        sa.Column("epss_percentile", sa.Float(), nullable=True),
        sa.Column("epss_date", sa.Date(), nullable=True),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("kev_date_added", sa.Date(), nullable=True),
        sa.Column("kev_due_date", sa.Date(), nullable=True),
        sa.Column("kev_ransomware", sa.Boolean(), nullable=False),
        sa.Column("kev_action", sa.Text(), nullable=True),
        sa.Column("poc", sa.Boolean(), nullable=False),
        sa.Column("exploited", sa.Boolean(), nullable=False),
        sa.Column("automatable", sa.String(length=8), nullable=True),
        sa.Column("technical_impact", sa.String(length=16), nullable=True),
        sa.Column("sources", sa.String(length=1000), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_vulnerability_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vulnerability")),
        sa.UniqueConstraint("identifier", name=op.f("uq_vulnerability_identifier")),
    )
    with op.batch_alter_table("vulnerability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vulnerability_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "affected_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vulnerability_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.Column("product_key", sa.String(length=300), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("ranges", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "affected",
                "unaffected",
                "known_not_affected",
                "fixed",
                name="productstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("justification", sa.String(length=200), nullable=True),
        sa.Column("product_ref", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["vulnerability_id"],
            ["vulnerability.id"],
            name=op.f("fk_affected_product_vulnerability_id_vulnerability"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affected_product")),
    )
    with op.batch_alter_table("affected_product", schema=None) as batch_op:
        batch_op.create_index("ix_affected_product_key", ["product_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_affected_product_vulnerability_id"), ["vulnerability_id"], unique=False
        )
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cpe", sa.String(length=500), nullable=True),
        sa.Column("purl", sa.String(length=500), nullable=True),
        sa.Column("cpe_key", sa.String(length=300), nullable=True),
        sa.Column("purl_key", sa.String(length=300), nullable=True),
        sa.Column("version", sa.String(length=128), nullable=True),
        sa.Column(
            "exposure",
            sa.Enum(
                "small", "controlled", "open", name="internetexposure", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "criticality",
            sa.Enum(
                "low",
                "medium",
                "high",
                "critical",
                name="criticality",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("owner_contact", sa.String(length=254), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("bom_ref", sa.String(length=500), nullable=True),
        sa.Column("natural_key", sa.String(length=700), nullable=False),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_asset_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_asset_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint(
            "organisation_id", "natural_key", name=op.f("uq_asset_organisation_id_natural_key")
        ),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_cpe_key"), ["cpe_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_asset_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_asset_owner_cert_id"), ["owner_cert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_purl_key"), ["purl_key"], unique=False)
    op.create_table(
        "risk_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column("immediate", sa.Integer(), nullable=False),
        sa.Column("out_of_cycle", sa.Integer(), nullable=False),
        sa.Column("scheduled", sa.Integer(), nullable=False),
        sa.Column("defer", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_risk_snapshot_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_risk_snapshot_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_snapshot")),
        sa.UniqueConstraint(
            "organisation_id", "day", name=op.f("uq_risk_snapshot_organisation_id_day")
        ),
    )
    with op.batch_alter_table("risk_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_risk_snapshot_day", ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_risk_snapshot_owner_cert_id"), ["owner_cert_id"], unique=False
        )
    op.create_table(
        "exposure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("vulnerability_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "active", "suppressed", "gone", name="exposurestate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("suppressed_by", sa.String(length=500), nullable=True),
        sa.Column("matched_on", sa.String(length=8), nullable=False),
        sa.Column(
            "exploitation",
            sa.Enum("none", "poc", "active", name="exploitation", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "automatable",
            sa.Enum("no", "yes", name="automatable", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "technical_impact",
            sa.Enum("partial", "total", name="technicalimpact", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "system_exposure",
            sa.Enum(
                "small", "controlled", "open", name="internetexposure", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("mission_wellbeing", sa.String(length=64), nullable=False),
        sa.Column("human_impact", sa.String(length=64), nullable=False),
        sa.Column("coordinator_decision", sa.String(length=64), nullable=False),
        sa.Column("deployer_decision", sa.String(length=64), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("override_reason", sa.String(length=1000), nullable=True),
        sa.Column("first_seen", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_matched", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_exposure_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_exposure_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_exposure_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vulnerability_id"],
            ["vulnerability.id"],
            name=op.f("fk_exposure_vulnerability_id_vulnerability"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure")),
        sa.UniqueConstraint(
            "asset_id", "vulnerability_id", name=op.f("uq_exposure_asset_id_vulnerability_id")
        ),
    )
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.create_index("ix_exposure_org_state", ["organisation_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_exposure_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_owner_cert_id"), ["owner_cert_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_vulnerability_id"), ["vulnerability_id"], unique=False
        )
    op.create_table(
        "measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_cert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("exposure_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "patch",
                "mitigate",
                "workaround",
                "isolate",
                name="measurekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("priority", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "verified",
                "risk_accepted",
                name="measurestate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_basis", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("accepted_reason", sa.String(length=1000), nullable=True),
        sa.Column("accepted_until", sa.Date(), nullable=True),
        sa.Column("created_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", certnet.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exposure_id"],
            ["exposure.id"],
            name=op.f("fk_measure_exposure_id_exposure"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_measure_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_cert_id"],
            ["cert.id"],
            name=op.f("fk_measure_owner_cert_id_cert"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure")),
        sa.UniqueConstraint("exposure_id", name=op.f("uq_measure_exposure_id")),
    )
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.create_index("ix_measure_org_state", ["organisation_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_measure_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_measure_owner_cert_id"), ["owner_cert_id"], unique=False
        )
        batch_op.create_index(
            "ix_measure_register",
            ["state", "standing", "organisation_id", "priority", "due_on"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_register")
        batch_op.drop_index(batch_op.f("ix_measure_owner_cert_id"))
        batch_op.drop_index(batch_op.f("ix_measure_organisation_id"))
        batch_op.drop_index("ix_measure_org_state")
    op.drop_table("measure")
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_vulnerability_id"))
        batch_op.drop_index(batch_op.f("ix_exposure_owner_cert_id"))
        batch_op.drop_index(batch_op.f("ix_exposure_organisation_id"))
        batch_op.drop_index("ix_exposure_org_state")
    op.drop_table("exposure")
    with op.batch_alter_table("risk_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_snapshot_owner_cert_id"))
        batch_op.drop_index("ix_risk_snapshot_day")
    op.drop_table("risk_snapshot")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_purl_key"))
        batch_op.drop_index(batch_op.f("ix_asset_owner_cert_id"))
        batch_op.drop_index(batch_op.f("ix_asset_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_asset_cpe_key"))
    op.drop_table("asset")
    with op.batch_alter_table("affected_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_affected_product_vulnerability_id"))
        batch_op.drop_index("ix_affected_product_key")
    op.drop_table("affected_product")
    with op.batch_alter_table("vulnerability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vulnerability_owner_cert_id"))
    op.drop_table("vulnerability")
    with op.batch_alter_table("intel_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intel_import_owner_cert_id"))
    op.drop_table("intel_import")
    with op.batch_alter_table("csaf_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csaf_document_owner_cert_id"))
    op.drop_table("csaf_document")
