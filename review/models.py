"""The review database schema as SQLAlchemy 2 typed models.

These tables are what reviewers (and their SQL) see, so names follow design.md section 3.
The Alembic migrations in ``review/migrations/versions`` create exactly these tables; a test
compares the two. Enumerated text columns are plain strings with CHECK constraints
rather than database enums, because enums are awkward to change in PostgreSQL migrations and
do not exist in SQLite.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from review.dbtypes import JsonType, SafeString, SafeText

# Named constraints, so a later migration can drop or alter them by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


DOCUMENT_KINDS = ("plan", "annex1", "other")
DOCUMENT_STATUSES = ("ok", "partial", "failed")
SEVERITIES = ("error", "warning")
FINDING_STATUSES = ("open", "resolved")
CHANGE_KINDS = ("resolved", "still_open", "new")
# claimed: a run is archiving it; archived: raw bytes and attachments committed, not yet marked
# done at the source; done: marked at the source too; duplicate: same Message-ID as a message
# already archived (a second delivery), kept but not unpacked again.
MESSAGE_STATUSES = ("claimed", "archived", "done", "duplicate")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class School(Base):
    """A school from the round configuration (``known``) or one first seen in a submission.

    Unknown schools are added and never dropped: a reviewer must see that materials arrived
    from a school the configuration does not list."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(200), unique=True)
    type: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(SafeString(50))
    review_authority: Mapped[str | None] = mapped_column(String(10))
    known: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "review_authority IS NULL OR " + _in("review_authority", ("province", "city")),
            name="review_authority",
        ),
    )


class Run(Base):
    """One pipeline run over a source (folder or inbox)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    source_root: Mapped[str] = mapped_column(SafeText())
    config_name: Mapped[str] = mapped_column(SafeString(200))
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Which process runs it ("host:pid"): a message claimed by a run whose process is gone is
    # taken over by the next run instead of waiting for a timeout.
    owner: Mapped[str | None] = mapped_column(SafeString(300))


class ReceivedFile(Base):
    """A file as it arrived: which bytes (by hash), at which source path, by which route, when,
    in which run.

    Unique on (sha256, source): the same bytes received again at the same place are the same
    receipt. ``route`` is what the file was sent as (``review.store.receipt_route``): the same
    bytes under another name by the same route are a second receipt of one document; by
    another route (an upload, an e-mailed 附件1, an e-mailed photo) they are another document,
    read for what they were sent as."""

    __tablename__ = "received_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    archive_path: Mapped[str] = mapped_column(SafeText())
    source: Mapped[str] = mapped_column(SafeText())
    route: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)

    # The e-mail the file came in, or that it is (None for the upload folder).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)

    run: Mapped[Run] = relationship()
    message: Mapped[MailMessage | None] = relationship()

    __table_args__ = (
        UniqueConstraint("sha256", "source"),
        Index("ix_received_files_sha256_route", "sha256", "route"),
    )


class MailMessage(Base):
    """One e-mail from an inbox, tracked so that it is archived exactly once.

    ``key`` is the message's identity in its source (IMAP: UIDVALIDITY + UID; folder: its
    path), ``message_id`` the Message-ID header that recognises a second delivery. A run
    claims a row before archiving; the message is marked done at the source only after its
    raw bytes and attachments are committed, so a crash in between means it is picked up
    again, never lost and never doubled."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(SafeString(1000), unique=True)
    name: Mapped[str] = mapped_column(SafeText())
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(SafeString(1000), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(SafeText())
    subject: Mapped[str | None] = mapped_column(SafeText())
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    school_evidence: Mapped[str | None] = mapped_column(SafeText())
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[str]] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(10), default="claimed")
    claimed_by_run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    school: Mapped[School | None] = relationship()
    claimed_by: Mapped[Run] = relationship()

    __table_args__ = (CheckConstraint(_in("status", MESSAGE_STATUSES), name="status"),)


class Document(Base):
    """One processed file (by content hash and route) and its place among the versions of a
    submission. The archive holds the bytes once; each route they came by is read and checked
    on its own, so an upload is told it is no PDF while the same picture e-mailed as 附件1 is
    the school's Attachment 1 scan."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    route: Mapped[str] = mapped_column(String(40))
    received_file_id: Mapped[int | None] = mapped_column(ForeignKey("received_files.id"), index=True)
    source: Mapped[str] = mapped_column(SafeText())
    kind: Mapped[str] = mapped_column(String(10))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    certificate: Mapped[str | None] = mapped_column(SafeString(200))
    submission_key: Mapped[str] = mapped_column(SafeText(), index=True)
    version: Mapped[int] = mapped_column(Integer)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)

    school: Mapped[School | None] = relationship()
    received_file: Mapped[ReceivedFile | None] = relationship()
    run: Mapped[Run] = relationship()
    superseded_by: Mapped[Document | None] = relationship(remote_side=[id])
    pages: Mapped[list[Page]] = relationship(back_populates="document", order_by="Page.number")
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="document", foreign_keys="FindingRow.document_id", order_by="FindingRow.id"
    )
    errors: Mapped[list[ProcessingErrorRow]] = relationship(
        back_populates="document", order_by="ProcessingErrorRow.id"
    )

    __table_args__ = (
        UniqueConstraint("submission_key", "version"),
        UniqueConstraint("sha256", "route"),
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),
        CheckConstraint(_in("status", DOCUMENT_STATUSES), name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None


class Page(Base):
    """A page's kind and text, so reviewers can search what a document says."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(SafeText(), default="")
    has_text_layer: Mapped[bool] = mapped_column(Boolean, default=False)

    document: Mapped[Document] = relationship(back_populates="pages")

    __table_args__ = (UniqueConstraint("document_id", "number"),)


class ExtractedField(Base):
    """One leaf of a document's parsed data (``funding.amount_wan``, ``sessions.0.count``),
    with the page and text it was read from, so a reviewer can query one field across schools."""

    __tablename__ = "extracted_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(SafeString(200), index=True)
    value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    page: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(SafeText())

    __table_args__ = (UniqueConstraint("document_id", "field"),)


class FindingRow(Base):
    """A finding: on a document (``document_id``) or, for school-level rules, on a school.

    ``match_key`` (rule + evidence or message) identifies the same problem across versions,
    independently of the page, so a corrected file's findings can be compared with the old
    ones. ``status`` turns ``resolved`` when a newer version or a later run no longer has it."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    source: Mapped[str | None] = mapped_column(SafeText())
    rule: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(SafeText())
    page: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(SafeText())
    match_key: Mapped[str] = mapped_column(SafeText())
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    resolved_by_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    document: Mapped[Document | None] = relationship(back_populates="findings", foreign_keys=[document_id])
    school: Mapped[School | None] = relationship()

    __table_args__ = (
        CheckConstraint("document_id IS NOT NULL OR school_id IS NOT NULL", name="has_subject"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("status", FINDING_STATUSES), name="status"),
    )


class FindingChange(Base):
    """The comparison of a new version's findings with those of the version it superseded:
    one row per finding that was resolved, is still open, or is new."""

    __tablename__ = "finding_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    previous_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    change: Mapped[str] = mapped_column(String(10))
    # The old finding for resolved / still open, the new one for still open / new.
    old_finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    new_finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))

    old_finding: Mapped[FindingRow | None] = relationship(foreign_keys=[old_finding_id])
    new_finding: Mapped[FindingRow | None] = relationship(foreign_keys=[new_finding_id])

    __table_args__ = (CheckConstraint(_in("change", CHANGE_KINDS), name="change"),)


class ProcessingErrorRow(Base):
    """Something that went wrong while reading a document, naming the component and page."""

    __tablename__ = "processing_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(100))
    page: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(SafeText())

    document: Mapped[Document] = relationship(back_populates="errors")


Index("ix_findings_status_document", FindingRow.status, FindingRow.document_id)
