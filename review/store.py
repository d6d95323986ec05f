"""All writes to the review database.

Each function does its work in the session it is given and leaves committing to the caller,
so a flow can put "store the document, its pages, fields and findings" into one transaction:
a crash never leaves half a document behind. Writes are idempotent where the pipeline may
repeat them (a rerun over the same inbox): the same received file, the same document bytes
and the same school-level findings add no rows the second time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from extractors.received import (
    ANNEX1_CLAIM,
    ANNEX1_NAME,
    PLAN_NAME,
    Origin,
    file_name,
    intended_kind,
)
from review.archive import ArchivedFile
from review.models import (
    Document,
    ExtractedField,
    FindingChange,
    FindingRow,
    MailMessage,
    Page,
    ProcessingErrorRow,
    ReceivedFile,
    Run,
    School,
    utcnow,
)
from schemas.document import DocumentResult, Evidence
from schemas.finding import Finding, Severity
from schemas.round_config import RoundConfig

# Processing error codes that mean the file could not be read at all; each becomes a finding
# when the checks did not already report it, so an unreadable file always reaches a reviewer.


@dataclass(frozen=True)
class FindingComparison:
    """How a new version's findings relate to those of the version it replaces."""

    resolved: list[Finding] = field(default_factory=list)
    still_open: list[Finding] = field(default_factory=list)
    new: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class SaveOutcome:
    """What ``save_document`` did. ``comparison`` is empty unless a version was superseded."""

    document_id: int
    version: int
    created: bool
    superseded_document_id: int | None = None
    comparison: FindingComparison = field(default_factory=FindingComparison)


# --- small helpers -------------------------------------------------------------------------


def insert_ignore(session: Session, model: type[Any], values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """INSERT that does nothing when the unique key already exists.

    A plain select-then-insert races when parallel tasks see the same school or file; both
    SQLite and PostgreSQL have ON CONFLICT DO NOTHING, which makes the insert atomic."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - only the two supported backends are tested
        existing = session.scalars(select(model).filter_by(**{k: values[k] for k in keys})).first()
        if existing is None:
            session.add(model(**values))
            session.flush()
        return
    session.execute(stmt)


_SPACES = re.compile(r"\s+")


def match_key(finding: Finding) -> str:
    """Page-independent identity of a finding: its rule and its evidence (or message).

    Whitespace is collapsed because text extraction of the same sentence varies in spacing."""
    detail = finding.evidence if finding.evidence else finding.message
    return f"{finding.rule}\x1f{_SPACES.sub(' ', detail).strip()}"


SCAN_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif")


def submission_key(kind: str, school: str | None, certificate: str | None, source: str) -> str:
    """The identity of a submission, whose files are its versions.

    A plan is one per school and certificate. Attachment 1 is one per school in each of its
    two forms, the table (xlsx, docx, xls) and the scan of the signed, stamped paper: a school
    sends both, and neither replaces the other. Anything not identified falls back to its
    source path, so a file resent under the same name still versions correctly."""
    if school and certificate and kind != "annex1":
        return f"{kind}|{school}|{certificate}"
    if school and kind == "annex1":
        form = "scan" if source.lower().endswith(SCAN_SUFFIXES) else "table"
        return f"annex1|{school}|{form}"
    return f"source|{source}"


# A file name suffix as the readers test it (.xlsx, .rar); anything longer or stranger is none.
_SUFFIX = re.compile(r"[a-z0-9]{1,8}")


def receipt_origin(source: str, message_name: str | None) -> Origin:
    """How a receipt came: the upload folder (no message), an e-mail itself, or its attachment."""
    if message_name is None:
        return "upload"
    return "message" if source == message_name else "mail"


def receipt_route(source: str, origin: Origin) -> str:
    """What a receipt was sent as: everything but the bytes that the reading depends on.

    ``extract_received`` reads a file by its content, its route and what its name claims; the
    same bytes by two routes are two documents, each read and checked for what it was sent as
    (an upload that is no PDF is told so; the same picture e-mailed as 附件1.png is the school's
    Attachment 1 scan; e-mailed as photo.png it is listed). Two receipts of one route share a
    document and its extraction. Keep this in step with the name tests of ``extract_received``.
    """
    if origin == "message":
        return "message"
    name = file_name(source)
    intended = intended_kind(source, origin)
    if origin == "upload":
        return f"upload:{intended}"
    if ANNEX1_CLAIM.search(name):
        sent_as = "annex1"  # says it is Attachment 1 itself
    elif ANNEX1_NAME.search(name):
        sent_as = "annex1-like"  # some 统计表 / 信息表
    elif PLAN_NAME.search(name):
        sent_as = "plan"
    else:
        sent_as = "other"  # a photo, a letter: Attachment 1 only if its content is one
    # The readers test the name's suffix too (.rar, .xlsx, .pdf; a scan's form); any suffix of
    # the kind they test is part of the route.
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return f"mail:{sent_as}:{suffix}" if _SUFFIX.fullmatch(suffix) else f"mail:{sent_as}"


def finding_from_row(row: FindingRow) -> Finding:
    return Finding(
        rule=row.rule,
        severity=Severity(row.severity),
        message=row.message,
        document=row.source,
        page=row.page,
        evidence=row.evidence,
    )


def _finding_row(
    finding: Finding,
    *,
    run: Run,
    document: Document | None = None,
    school: School | None = None,
    source: str | None = None,
) -> FindingRow:
    return FindingRow(
        document=document,
        school=school,
        source=finding.document or source,
        rule=finding.rule,
        severity=Severity(finding.severity).value,
        message=finding.message,
        page=finding.page,
        evidence=finding.evidence,
        match_key=match_key(finding),
        run_id=run.id,
        status="open",
    )


def flatten_fields(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The leaves of parsed data as (dotted name, JSON value).

    Lists of objects are numbered (``sessions.0.count``); lists of scalars such as
    ``agreement.pages`` and empty lists are single leaves, since their items mean nothing alone.
    The constant ``kind`` discriminator is not a field."""
    for key, value in data.items():
        if not prefix and key == "kind":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten_fields(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            for index, item in enumerate(value):
                yield from flatten_fields(item, f"{name}.{index}.")
        else:
            yield name, value


def _evidence_for(name: str, evidence: Mapping[str, Evidence]) -> Evidence | None:
    # Extractors may give evidence for a whole section ("sessions") rather than each leaf.
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        found = evidence.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


def get_or_create_school(session: Session, name: str) -> School:
    """The school of that name; added as unknown (``known=False``) if first seen here."""
    school = session.scalars(select(School).where(School.name == name)).one_or_none()
    if school is not None:
        return school
    insert_ignore(session, School, {"name": name, "known": False, "created_at": utcnow()}, ["name"])
    return session.scalars(select(School).where(School.name == name)).one()


# --- public write API ----------------------------------------------------------------------


def sync_schools(session: Session, config: RoundConfig) -> None:
    """Make the schools table agree with the round configuration.

    Configured schools are inserted or updated and marked known; schools the configuration
    does not list are kept (their documents refer to them) and marked unknown."""
    configured = {entry.name: entry for entry in config.schools}
    existing = {school.name: school for school in session.scalars(select(School))}
    for name, entry in configured.items():
        school = existing.get(name)
        if school is None:
            insert_ignore(session, School, {"name": name, "known": True, "created_at": utcnow()}, ["name"])
            school = session.scalars(select(School).where(School.name == name)).one()
        school.type = entry.type
        school.city = entry.city
        school.review_authority = entry.review_authority
        school.known = True
    for name, school in existing.items():
        if name not in configured:
            school.known = False
    session.flush()


def start_run(session: Session, *, source_root: str, config_name: str, owner: str | None = None) -> Run:
    run = Run(
        source_root=source_root,
        config_name=config_name,
        status="running",
        counts={},
        started_at=utcnow(),
        owner=owner,
    )
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: Run, *, status: str, counts: dict[str, int]) -> None:
    run.status = status
    run.counts = dict(counts)
    run.finished_at = utcnow()
    session.flush()


def as_utc(value: dt.datetime) -> dt.datetime:
    """UTC for storage: SQLite keeps only the wall-clock time, so every timestamp is stored in
    one zone and read back the same on both backends. A naive time is taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def record_received_file(
    session: Session,
    *,
    run: Run,
    archived: ArchivedFile,
    source: str,
    received_at: dt.datetime,
    message_id: int | None = None,
) -> ReceivedFile:
    """The receipt of ``archived`` at ``source``; the first receipt is kept when it repeats.
    ``message_id`` links an e-mailed file (and the message file itself) to its message row;
    with the source it gives the receipt's route (``receipt_route``)."""
    message = session.get(MailMessage, message_id) if message_id is not None else None
    route = receipt_route(source, receipt_origin(source, message.name if message is not None else None))
    insert_ignore(
        session,
        ReceivedFile,
        {
            "sha256": archived.sha256,
            "size": archived.size,
            "archive_path": str(archived.path),
            "source": source,
            "route": route,
            "received_at": as_utc(received_at),
            "run_id": run.id,
            "message_id": message_id,
        },
        ["sha256", "source"],
    )
    return session.scalars(
        select(ReceivedFile).where(ReceivedFile.sha256 == archived.sha256, ReceivedFile.source == source)
    ).one()


def _document_id(session: Session, sha256: str, route: str) -> int | None:
    return session.scalar(select(Document.id).where(Document.sha256 == sha256, Document.route == route))


def is_document_current(session: Session, sha256: str, route: str) -> bool:
    """True when these bytes were already processed and saved for this route, so the pipeline
    can skip them."""
    return _document_id(session, sha256, route) is not None


def stored_error_codes(session: Session, sha256: str, route: str) -> list[str] | None:
    """The processing-error codes saved with these bytes by this route; None when they were
    never processed. Lets a rerun that skips an unchanged broken file still count it as
    unreadable."""
    document_id = _document_id(session, sha256, route)
    if document_id is None:
        return None
    return list(
        session.scalars(select(ProcessingErrorRow.code).where(ProcessingErrorRow.document_id == document_id))
    )


def _document_data(result: DocumentResult) -> dict[str, Any] | None:
    if result.kind == "plan" and result.plan is not None:
        return result.plan.data.model_dump(mode="json")
    if result.kind == "annex1" and result.annex1 is not None:
        return result.annex1.model_dump(mode="json")
    return None


def compare_findings(
    old: Sequence[FindingRow], new: Sequence[FindingRow]
) -> tuple[list[FindingRow], list[tuple[FindingRow, FindingRow]], list[FindingRow]]:
    """Pair old and new findings by ``match_key`` (as multisets, so two identical findings in
    the old version need two in the new one to both count as still open).

    Returns (resolved old rows, still-open (old, new) pairs, new rows), in input order."""
    waiting: dict[str, list[FindingRow]] = defaultdict(list)
    for row in old:
        waiting[row.match_key].append(row)
    still_open: list[tuple[FindingRow, FindingRow]] = []
    fresh: list[FindingRow] = []
    for row in new:
        candidates = waiting.get(row.match_key)
        if candidates:
            still_open.append((candidates.pop(0), row))
        else:
            fresh.append(row)
    paired = {id(old_row) for old_row, _ in still_open}
    resolved = [row for row in old if id(row) not in paired]
    return resolved, still_open, fresh


ReceiptOrder = Literal["before", "after", "unknown"]


def receipt_order(session: Session, earlier: ReceivedFile | None, later: ReceivedFile | None) -> ReceiptOrder:
    """Whether ``earlier`` was received before ``later`` ("before"), after it ("after"), or
    whether nothing says so ("unknown").

    E-mails carry the time the office's server received them. Files from the upload folder
    carry none: two of them listed by the same run came together, and a file first seen by a
    later run came after everything a completed earlier run had listed (a run killed halfway
    may not have listed its whole folder, so its files are of unknown order)."""
    if earlier is None or later is None:
        return "unknown"
    if earlier.message_id is not None and later.message_id is not None:
        first, second = as_utc(earlier.received_at), as_utc(later.received_at)
        if first == second:
            return "unknown"
        return "before" if first < second else "after"
    if earlier.run_id == later.run_id:
        return "unknown"
    first_run, second_run = sorted((earlier.run_id, later.run_id))
    finished = session.get(Run, first_run)
    if finished is None or finished.status != "completed":
        return "unknown"
    return "before" if earlier.run_id == first_run and second_run == later.run_id else "after"


def save_document(
    session: Session,
    result: DocumentResult,
    *,
    run: Run,
    school: str | None,
    certificate: str | None,
    route: str | None = None,
) -> SaveOutcome:
    """Store a processed document with its pages, fields, errors and findings.

    A document is its bytes and the route they came by (``receipt_route``; by default the
    route of the receipt at ``result.source``). Saving a document that is already stored adds
    nothing (``created=False``). Otherwise it becomes the next version of its submission (see
    ``submission_key``); the previous current version is marked superseded by it, its
    findings are compared with the new ones, the comparison is stored in ``finding_changes``
    and resolved old findings get status ``resolved``."""
    received = session.scalars(
        select(ReceivedFile)
        .where(ReceivedFile.sha256 == result.sha256, ReceivedFile.source == result.source)
        .order_by(ReceivedFile.id)
    ).first()
    if route is None:
        route = received.route if received is not None else receipt_route(result.source, "upload")
    existing = session.scalars(
        select(Document).where(Document.sha256 == result.sha256, Document.route == route)
    ).one_or_none()
    if existing is not None:
        return SaveOutcome(document_id=existing.id, version=existing.version, created=False)
    if received is None or received.route != route:
        # Any receipt of these bytes by this route will do.
        received = session.scalars(
            select(ReceivedFile)
            .where(ReceivedFile.sha256 == result.sha256, ReceivedFile.route == route)
            .order_by(ReceivedFile.id)
        ).first()

    school_row = get_or_create_school(session, school) if school else None
    key = submission_key(result.kind, school, certificate, result.source)
    last_version = session.scalar(select(func.max(Document.version)).where(Document.submission_key == key))
    currents = session.scalars(
        select(Document)
        .where(Document.submission_key == key, Document.superseded_by_id.is_(None))
        .order_by(Document.version.desc())
    ).all()
    # Only a version whose order against this one is known is replaced; the others stay
    # current beside it (two files for one certificate in one upload folder), so that no
    # finding leaves the problem list on a guess. The very same bytes, come by another route
    # into the same submission (a plan uploaded and e-mailed too), are no second plan: the
    # later receipt, saved after in receipt order, replaces the earlier.
    ordered = [
        (
            doc,
            "before" if doc.sha256 == result.sha256 else receipt_order(session, doc.received_file, received),
        )
        for doc in currents
    ]
    replaced = [doc for doc, order in ordered if order == "before"]
    newer = next((doc for doc, order in ordered if order == "after"), None)

    document = Document(
        sha256=result.sha256,
        route=route,
        received_file=received,
        source=result.source,
        kind=result.kind,
        school=school_row,
        certificate=certificate,
        submission_key=key,
        version=(last_version or 0) + 1,
        status=result.status,
        page_count=result.page_count,
        data=_document_data(result),
        processed_at=utcnow(),
        run_id=run.id,
    )
    session.add(document)
    session.flush()

    for page in result.pages:
        session.add(
            Page(
                document_id=document.id,
                number=page.number,
                kind=page.kind,
                text=page.text,
                has_text_layer=page.has_text_layer,
            )
        )
    if document.data is not None:
        evidence = result.plan.evidence if result.plan is not None else {}
        for name, value in flatten_fields(document.data):
            found = _evidence_for(name, evidence)
            session.add(
                ExtractedField(
                    document_id=document.id,
                    field=name,
                    value=value,
                    page=found.page if found else None,
                    evidence=found.text if found else None,
                )
            )
    for error in result.errors:
        session.add(
            ProcessingErrorRow(
                document_id=document.id,
                component=error.component,
                code=error.code,
                page=error.page,
                message=error.message,
            )
        )
    new_rows = [
        _finding_row(finding, run=run, document=document, source=result.source) for finding in result.findings
    ]
    session.add_all(new_rows)
    session.flush()

    comparison = FindingComparison()
    if newer is not None:
        # An older e-mail processed after its correction: it is history from the start.
        document.superseded_by_id = newer.id
        replaced = []
    if replaced:
        # Every earlier current version (two parallel ones are both answered by this one).
        for old_document in replaced:
            old_document.superseded_by_id = document.id
        old_rows = [row for old in replaced for row in old.findings if row.status == "open"]
        resolved, still_open, fresh = compare_findings(old_rows, new_rows)
        for row in resolved:
            row.status = "resolved"
            row.resolved_run_id = run.id
            row.resolved_by_document_id = document.id
        changes = [
            *(
                FindingChange(change="resolved", old_finding_id=row.id, previous_document_id=row.document_id)
                for row in resolved
            ),
            *(
                FindingChange(
                    change="still_open",
                    old_finding_id=old_row.id,
                    new_finding_id=new_row.id,
                    previous_document_id=old_row.document_id,
                )
                for old_row, new_row in still_open
            ),
            *(
                FindingChange(change="new", new_finding_id=row.id, previous_document_id=replaced[0].id)
                for row in fresh
            ),
        ]
        for change in changes:
            change.document_id = document.id
        session.add_all(changes)
        session.flush()
        comparison = FindingComparison(
            resolved=[finding_from_row(row) for row in resolved],
            still_open=[finding_from_row(new_row) for _, new_row in still_open],
            new=[finding_from_row(row) for row in fresh],
        )

    return SaveOutcome(
        document_id=document.id,
        version=document.version,
        created=True,
        superseded_document_id=replaced[0].id if replaced else None,
        comparison=comparison,
    )


def save_school_findings(
    session: Session, *, run: Run, school: str, findings: Sequence[Finding]
) -> FindingComparison:
    """Replace a school's open school-level findings with this run's complete set.

    School-level rules (``school.annex1_missing`` ...) are re-evaluated over all current
    documents in every run, so a finding absent now is resolved; one still present keeps
    its row (so it is not duplicated by reruns) with page and source refreshed. Call this for
    every checked school, with an empty list when nothing is wrong."""
    school_row = get_or_create_school(session, school)
    old_rows = list(
        session.scalars(
            select(FindingRow)
            .where(
                FindingRow.school_id == school_row.id,
                FindingRow.document_id.is_(None),
                FindingRow.status == "open",
            )
            .order_by(FindingRow.id)
        )
    )
    waiting: dict[str, list[FindingRow]] = defaultdict(list)
    for row in old_rows:
        waiting[row.match_key].append(row)
    still_open: list[Finding] = []
    fresh: list[Finding] = []
    kept: set[int] = set()
    for finding in findings:
        candidates = waiting.get(match_key(finding))
        if candidates:
            row = candidates.pop(0)
            kept.add(row.id)
            row.page = finding.page
            row.source = finding.document
            row.severity = Severity(finding.severity).value
            row.message = finding.message
            still_open.append(finding)
        else:
            session.add(_finding_row(finding, run=run, school=school_row))
            fresh.append(finding)
    resolved: list[Finding] = []
    for row in old_rows:
        if row.id not in kept:
            row.status = "resolved"
            row.resolved_run_id = run.id
            resolved.append(finding_from_row(row))
    session.flush()
    return FindingComparison(resolved=resolved, still_open=still_open, new=fresh)
