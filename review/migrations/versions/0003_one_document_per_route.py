"""One document per content and route: received files and documents carry the route they came
by, and a document is unique on (sha256, route) instead of sha256.

Existing receipts get their route from their source and message; an existing document takes
the route of its receipt. A receipt whose route has no document yet (the same bytes that came
by a second route and were folded into the first one's document) is left without one, so the
next run reads it for what it was sent as.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from review.store import receipt_origin, receipt_route

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("name", sa.Text))
_received = sa.table(
    "received_files",
    sa.column("id", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("source", sa.Text),
    sa.column("message_id", sa.Integer),
    sa.column("route", sa.String),
)
_documents = sa.table(
    "documents",
    sa.column("id", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("source", sa.Text),
    sa.column("received_file_id", sa.Integer),
    sa.column("route", sa.String),
)


def _backfill() -> None:
    connection = op.get_bind()
    names = {row[0]: row[1] for row in connection.execute(sa.select(_messages.c.id, _messages.c.name))}
    receipts = connection.execute(
        sa.select(_received.c.id, _received.c.sha256, _received.c.source, _received.c.message_id).order_by(
            _received.c.id
        )
    ).all()
    routes: dict[int, str] = {}
    first_route: dict[str, str] = {}
    for receipt_id, sha256, source, message_id in receipts:
        route = receipt_route(source, receipt_origin(source, names.get(message_id) if message_id else None))
        routes[receipt_id] = route
        first_route.setdefault(sha256, route)
        connection.execute(_received.update().where(_received.c.id == receipt_id).values(route=route))
    documents = connection.execute(
        sa.select(_documents.c.id, _documents.c.sha256, _documents.c.source, _documents.c.received_file_id)
    ).all()
    for document_id, sha256, source, receipt_id in documents:
        found = routes.get(receipt_id) if receipt_id is not None else None
        route = found or first_route.get(sha256) or receipt_route(source, "upload")
        connection.execute(_documents.update().where(_documents.c.id == document_id).values(route=route))


def upgrade() -> None:
    with op.batch_alter_table("received_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=40), nullable=True))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=40), nullable=True))
    _backfill()
    with op.batch_alter_table("received_files", schema=None) as batch_op:
        batch_op.alter_column("route", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index("ix_received_files_sha256_route", ["sha256", "route"], unique=False)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column("route", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_documents_sha256"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_documents_sha256_route"), ["sha256", "route"])
        batch_op.create_index(batch_op.f("ix_documents_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    # Back to one document per content: the first document of each content is kept, the
    # others (the same bytes by a later route) and everything hanging on them are removed.
    connection = op.get_bind()
    first = sa.select(sa.func.min(_documents.c.id)).group_by(_documents.c.sha256).scalar_subquery()
    extra = [
        row[0] for row in connection.execute(sa.select(_documents.c.id).where(_documents.c.id.not_in(first)))
    ]
    if extra:
        findings = sa.table(
            "findings",
            sa.column("id", sa.Integer),
            sa.column("document_id", sa.Integer),
            sa.column("resolved_by_document_id", sa.Integer),
        )
        changes = sa.table(
            "finding_changes",
            sa.column("document_id", sa.Integer),
            sa.column("previous_document_id", sa.Integer),
            sa.column("old_finding_id", sa.Integer),
            sa.column("new_finding_id", sa.Integer),
        )
        gone = sa.select(findings.c.id).where(findings.c.document_id.in_(extra))
        connection.execute(
            changes.delete().where(
                changes.c.document_id.in_(extra)
                | changes.c.previous_document_id.in_(extra)
                | changes.c.old_finding_id.in_(gone)
                | changes.c.new_finding_id.in_(gone)
            )
        )
        connection.execute(
            findings.update()
            .where(findings.c.resolved_by_document_id.in_(extra))
            .values(resolved_by_document_id=None)
        )
        connection.execute(findings.delete().where(findings.c.document_id.in_(extra)))
        for table in ("pages", "extracted_fields", "processing_errors"):
            rows = sa.table(table, sa.column("document_id", sa.Integer))
            connection.execute(rows.delete().where(rows.c.document_id.in_(extra)))
        superseded = sa.table("documents", sa.column("superseded_by_id", sa.Integer))
        connection.execute(
            superseded.update().where(superseded.c.superseded_by_id.in_(extra)).values(superseded_by_id=None)
        )
        connection.execute(_documents.delete().where(_documents.c.id.in_(extra)))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_sha256"))
        batch_op.drop_constraint(batch_op.f("uq_documents_sha256_route"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_documents_sha256"), ["sha256"])
        batch_op.drop_column("route")
    with op.batch_alter_table("received_files", schema=None) as batch_op:
        batch_op.drop_index("ix_received_files_sha256_route")
        batch_op.drop_column("route")
