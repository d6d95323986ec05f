"""Initial review schema: every table of review/models.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:35:25.788442
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_root", sa.Text(), nullable=False),
        sa.Column("config_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("review_authority", sa.String(length=10), nullable=True),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "review_authority IS NULL OR review_authority IN ('province', 'city')",
            name=op.f("ck_schools_review_authority"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("name", name=op.f("uq_schools_name")),
    )
    op.create_table(
        "received_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("archive_path", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_received_files_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_files")),
        sa.UniqueConstraint("sha256", "source", name=op.f("uq_received_files_sha256_source")),
    )
    op.create_index(op.f("ix_received_files_run_id"), "received_files", ["run_id"], unique=False)
    op.create_index(op.f("ix_received_files_sha256"), "received_files", ["sha256"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_file_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("certificate", sa.String(length=200), nullable=True),
        sa.Column("submission_key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('plan', 'annex1', 'other')", name=op.f("ck_documents_kind")),
        sa.CheckConstraint("status IN ('ok', 'partial', 'failed')", name=op.f("ck_documents_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_documents_version_positive")),
        sa.ForeignKeyConstraint(
            ["received_file_id"],
            ["received_files.id"],
            name=op.f("fk_documents_received_file_id_received_files"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_documents_run_id_runs")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_documents_school_id_schools")),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["documents.id"], name=op.f("fk_documents_superseded_by_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
        sa.UniqueConstraint("submission_key", "version", name=op.f("uq_documents_submission_key_version")),
    )
    op.create_index(op.f("ix_documents_received_file_id"), "documents", ["received_file_id"], unique=False)
    op.create_index(op.f("ix_documents_run_id"), "documents", ["run_id"], unique=False)
    op.create_index(op.f("ix_documents_school_id"), "documents", ["school_id"], unique=False)
    op.create_index(op.f("ix_documents_submission_key"), "documents", ["submission_key"], unique=False)
    op.create_index(op.f("ix_documents_superseded_by_id"), "documents", ["superseded_by_id"], unique=False)

    op.create_table(
        "extracted_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_extracted_fields_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extracted_fields")),
        sa.UniqueConstraint("document_id", "field", name=op.f("uq_extracted_fields_document_id_field")),
    )
    op.create_index(op.f("ix_extracted_fields_field"), "extracted_fields", ["field"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("match_key", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_run_id", sa.Integer(), nullable=True),
        sa.Column("resolved_by_document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("severity IN ('error', 'warning')", name=op.f("ck_findings_severity")),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_findings_status")),
        sa.CheckConstraint(
            "document_id IS NOT NULL OR school_id IS NOT NULL", name=op.f("ck_findings_has_subject")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_findings_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_document_id"],
            ["documents.id"],
            name=op.f("fk_findings_resolved_by_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_run_id"], ["runs.id"], name=op.f("fk_findings_resolved_run_id_runs")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_findings_run_id_runs")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_findings_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_document_id"), "findings", ["document_id"], unique=False)
    op.create_index(op.f("ix_findings_rule"), "findings", ["rule"], unique=False)
    op.create_index(op.f("ix_findings_run_id"), "findings", ["run_id"], unique=False)
    op.create_index(op.f("ix_findings_school_id"), "findings", ["school_id"], unique=False)
    op.create_index("ix_findings_status_document", "findings", ["status", "document_id"], unique=False)

    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("has_text_layer", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_pages_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_pages_document_id_number")),
    )
    op.create_table(
        "processing_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_processing_errors_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_errors")),
    )
    op.create_index(
        op.f("ix_processing_errors_document_id"), "processing_errors", ["document_id"], unique=False
    )

    op.create_table(
        "finding_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("previous_document_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("old_finding_id", sa.Integer(), nullable=True),
        sa.Column("new_finding_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "change IN ('resolved', 'still_open', 'new')", name=op.f("ck_finding_changes_change")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_finding_changes_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["new_finding_id"], ["findings.id"], name=op.f("fk_finding_changes_new_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["old_finding_id"], ["findings.id"], name=op.f("fk_finding_changes_old_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["previous_document_id"],
            ["documents.id"],
            name=op.f("fk_finding_changes_previous_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_changes")),
    )
    op.create_index(op.f("ix_finding_changes_document_id"), "finding_changes", ["document_id"], unique=False)
    op.create_index(
        op.f("ix_finding_changes_previous_document_id"),
        "finding_changes",
        ["previous_document_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_finding_changes_previous_document_id"), table_name="finding_changes")
    op.drop_index(op.f("ix_finding_changes_document_id"), table_name="finding_changes")

    op.drop_table("finding_changes")
    op.drop_index(op.f("ix_processing_errors_document_id"), table_name="processing_errors")

    op.drop_table("processing_errors")
    op.drop_table("pages")
    op.drop_index("ix_findings_status_document", table_name="findings")
    op.drop_index(op.f("ix_findings_school_id"), table_name="findings")
    op.drop_index(op.f("ix_findings_run_id"), table_name="findings")
    op.drop_index(op.f("ix_findings_rule"), table_name="findings")
    op.drop_index(op.f("ix_findings_document_id"), table_name="findings")

    op.drop_table("findings")
    op.drop_index(op.f("ix_extracted_fields_field"), table_name="extracted_fields")

    op.drop_table("extracted_fields")
    op.drop_index(op.f("ix_documents_superseded_by_id"), table_name="documents")
    op.drop_index(op.f("ix_documents_submission_key"), table_name="documents")
    op.drop_index(op.f("ix_documents_school_id"), table_name="documents")
    op.drop_index(op.f("ix_documents_run_id"), table_name="documents")
    op.drop_index(op.f("ix_documents_received_file_id"), table_name="documents")

    op.drop_table("documents")
    op.drop_index(op.f("ix_received_files_sha256"), table_name="received_files")
    op.drop_index(op.f("ix_received_files_run_id"), table_name="received_files")

    op.drop_table("received_files")
    op.drop_table("schools")
    op.drop_table("runs")
