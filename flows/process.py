"""The intake flow: inbox and upload folder in, review database out.

One run: (1) every new e-mail is claimed, archived with its attachments and committed, and
only then marked done at the source; (2) every file of the upload folder is archived and
recorded; (3) every received file that has no document yet (this run's, or one a killed
run left behind) is extracted, checked and stored; (4) the school-level rules run over
each school's current documents. Extraction is a Prefect task cached by content hash and
retried only when the failure is transient; a bad file never raises, so one bad upload
never stops the batch. The domain work lives in extractors/, checks/ and review/.
"""

import hashlib
import os
import signal
import stat
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import TaskRunContext
from prefect.futures import as_completed
from prefect.states import State
from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from checks import check_document, check_school
from extractors.errors import TransientError
from extractors.inbox import Inbox, InboxMessage, open_inbox
from extractors.mail import parse_message
from extractors.pdf_text import DEFAULT_OCR
from extractors.plan_document import EXTRACTOR_VERSION, plan_extractor_for
from extractors.plan_fields import PlanExtractor
from extractors.received import EXTRACTOR_VERSION as RECEIVED_VERSION
from extractors.received import Origin, extract_received, intended_kind, message_received_at, not_read_record
from extractors.schools import identify_school
from extractors.vision.ocr_page import OcrOptions
from flows.settings import Settings
from review.archive import RawArchive
from review.db import SCHOOL_CHECK_LOCK_KEY, lock_for_transaction, make_engine, migrate, session_factory
from review.mailbox import (
    MessageIdentity,
    claim_message,
    current_owner,
    earlier_delivery,
    message_row,
    owner_is_alive,
    record_archived,
    record_done,
)
from review.models import Document, Run
from review.queries import unprocessed_receipts
from review.school_facts import gather_school_facts
from review.store import (
    SaveOutcome,
    as_utc,
    finish_run,
    get_or_create_school,
    receipt_origin,
    receipt_route,
    record_received_file,
    save_document,
    save_school_findings,
    start_run,
    stored_error_codes,
    sync_schools,
    utcnow,
)
from schemas.document import DocumentResult, ProcessingError
from schemas.limits import DEFAULT_LIMITS, Limits, size_text
from schemas.round_config import RoundConfig, load_round_config


class RunSummary(BaseModel):
    run_id: int
    messages_new: int = 0
    messages_duplicate: int = 0
    messages_busy: int = 0
    files_received: int = 0
    documents_new: int = 0
    documents_unchanged: int = 0
    documents_superseded: int = 0
    files_unreadable: int = 0
    internal_errors: int = 0
    findings_error: int = 0
    findings_warning: int = 0
    schools_checked: int = 0
    school_findings_open: int = 0


def _retry_only_transient(task_: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry database hiccups and other transient faults, never a bad input or a bug."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, (TransientError, OperationalError))


def _extraction_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Content, extractor versions, what the file was sent as (its route) and the limits it
    was read within: two receipts of one route share a reading, another route is read again,
    and so is every file once a limit is changed."""
    route = receipt_route(parameters["source"], parameters["origin"])
    limits = parameters.get("limits") or DEFAULT_LIMITS
    limits_digest = hashlib.sha256(limits.model_dump_json().encode()).hexdigest()[:12]
    ocr = parameters.get("ocr") or DEFAULT_OCR
    engine = f"{ocr.engine}-{ocr.language}-{ocr.max_dpi:g}"
    return f"{EXTRACTOR_VERSION}-{RECEIVED_VERSION}-{route}-{limits_digest}-{engine}-{parameters['sha256']}"


# PILOT_INTAKE_KILL_AT=<point>:<n> kills this process (SIGKILL, as the OOM killer or a power cut
# would) the n-th time it reaches <point>. It exists for tests/test_kill_resume.py, which must
# hit the moments between archiving and committing reliably in a real run; unset, it costs one
# dictionary lookup. Points: run-started, archiving (a file written to the archive, its
# receipt not yet committed), archived (committed), all-archived (inbox and folder taken in,
# nothing read yet), extracted (a reading finished, not yet saved), saved (a document
# committed).
_fault_hits: Counter[str] = Counter()


def fault_point(name: str) -> None:
    spec = os.environ.get("PILOT_INTAKE_KILL_AT")
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point != name:
        return
    _fault_hits[name] += 1
    if _fault_hits[name] >= int(count or "1"):
        os.kill(os.getpid(), signal.SIGKILL)


@cache
def _round(round_file: str | None) -> RoundConfig:
    return load_round_config(Path(round_file) if round_file else None)


@cache
def _extractor(round_file: str | None) -> PlanExtractor:
    """Built once per round: it compiles every label pattern."""
    return plan_extractor_for(_round(round_file))


@task(
    name="extract-document",
    cache_key_fn=_extraction_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_retry_only_transient,
)
def extract_task(
    sha256: str,
    source: str,
    origin: Origin,
    archive_path: str,
    round_file: str | None,
    limits: Limits | None = None,
    ocr: OcrOptions | None = None,
) -> DocumentResult:
    content = Path(archive_path).read_bytes()
    try:
        return extract_received(
            content,
            source=source,
            origin=origin,
            config=_round(round_file),
            plan_extractor=_extractor(round_file),
            limits=limits or DEFAULT_LIMITS,
            ocr=ocr or DEFAULT_OCR,
        )
    except TransientError:
        raise
    except Exception as error:  # a bug must cost one document, not the batch
        return DocumentResult(
            source=source,
            sha256=sha256,
            kind=intended_kind(source, origin),
            status="failed",
            errors=[
                ProcessingError(
                    component="pipeline",
                    code="internal.error",
                    message=f"处理该文件时程序出错（{type(error).__name__}: {error}），请联系系统管理员",
                )
            ],
        )


class UploadEntry(BaseModel):
    """One entry of the upload folder: a regular file to read, or why it is not read."""

    path: Path
    not_read: str | None = None


def scan_upload_folder(folder: Path) -> list[UploadEntry]:
    """Every entry below ``folder`` except hidden ones, in a stable order, without following a
    link or opening anything: only regular files are read. A link (to a file, a folder or
    nothing), a named pipe, a socket or a device is listed with the reason it is not read, so
    that it is recorded and the school told, never followed out of the folder or waited on."""
    entries: list[UploadEntry] = []

    def walk(directory: Path) -> None:
        try:
            children = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            entries.append(UploadEntry(path=directory, not_read=f"目录无法读取（{error.strerror}）"))
            return
        for child in children:
            if child.name.startswith("."):
                continue
            path = Path(child.path)
            try:
                mode = child.stat(follow_symlinks=False).st_mode
            except OSError as error:  # vanished between listing and looking
                entries.append(UploadEntry(path=path, not_read=f"文件在读取前消失（{error.strerror}）"))
                continue
            if stat.S_ISLNK(mode):
                entries.append(UploadEntry(path=path, not_read="上传目录中的符号链接，未读取其指向的内容"))
            elif stat.S_ISDIR(mode):
                walk(path)
            elif stat.S_ISREG(mode):
                entries.append(UploadEntry(path=path))
            else:
                entries.append(UploadEntry(path=path, not_read="不是普通文件（管道、套接字或设备），未读取"))

    walk(folder)
    return entries


def list_upload_files(folder: Path) -> list[Path]:
    """The regular files below ``folder`` (see ``scan_upload_folder``), in a stable order."""
    return [entry.path for entry in scan_upload_folder(folder) if entry.not_read is None]


class _TooLarge(Exception):
    """An upload past ``limits.bytes_per_file``: not read into memory, recorded instead."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _read_regular(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a file listed as regular, opened without following a link and without
    blocking (a FIFO put in its place since the listing would wait forever); a file past the
    size limit is measured, never read."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise OSError(0, "不是普通文件")
        if status.st_size > limits.bytes_per_file:
            raise _TooLarge(status.st_size)
        return handle.read(limits.bytes_per_file + 1)


@cache
def _engine(db_url: str) -> Engine:
    return make_engine(db_url)


@cache
def _sessions(db_url: str) -> sessionmaker[Session]:
    return session_factory(_engine(db_url))


# --- (1) the inbox --------------------------------------------------------------------------


def _archive_message(
    session: Session,
    *,
    run: Run,
    archive: RawArchive,
    message: InboxMessage,
    config: RoundConfig,
    limits: Limits,
) -> tuple[bool, int]:
    """Store the message and its attachments and say what they are; the caller commits.
    Returns whether it is a first delivery (not a second one of a message already archived
    under another key) and how many files were recorded."""
    parsed = parse_message(message.raw, limits)
    row = message_row(session, message.key)
    earlier = earlier_delivery(session, key=message.key, message_id=parsed.message_id)
    received_at = message_received_at(
        message.raw,
        sent_at=parsed.date,
        source_time=message.received_at,
        source_is_server=message.uid is not None,
    )
    names = [attachment.path for attachment in parsed.attachments]
    match = identify_school(
        config, sender=parsed.sender_address, subject=parsed.subject, file_names=names, body=parsed.body_text
    )
    school = get_or_create_school(session, match.name) if match else None
    raw = archive.store(message.raw)
    record_archived(
        session,
        row,
        sha256=raw.sha256,
        message_id=parsed.message_id,
        sender=parsed.sender_address,
        subject=parsed.subject,
        received_at=received_at,
        school=school,
        school_evidence=match.via if match else None,
        attachment_count=len(parsed.attachments),
        problems=parsed.problems,
        duplicate=earlier is not None,
    )
    when = received_at or utcnow()
    record_received_file(
        session, run=run, archived=raw, source=message.name, received_at=when, message_id=row.id
    )
    if earlier is not None:
        return False, 1  # the raw copy is kept; its attachments are already in from the first delivery
    for attachment in parsed.attachments:
        stored = archive.store(attachment.content)
        record_received_file(
            session,
            run=run,
            archived=stored,
            source=f"{message.name}/{attachment.path}",
            received_at=when,
            message_id=row.id,
        )
        fault_point("archiving")
    return True, 1 + len(parsed.attachments)


def _ingest_inbox(
    inbox: Inbox,
    sessions: sessionmaker[Session],
    run: Run,
    settings: Settings,
    config: RoundConfig,
    summary: RunSummary,
) -> None:
    logger = get_run_logger()
    archive = RawArchive(settings.archive_dir)
    with inbox, sessions() as session:
        run = session.merge(run)
        logger.info("开始读取收件箱：%s", inbox.description)
        for message in tqdm(inbox.fetch(), desc="收取邮件", unit="封", disable=None):
            identity = MessageIdentity(message.key, message.name, message.uidvalidity, message.uid)
            claim = claim_message(session, run=run, message=identity)
            if claim == "busy":
                summary.messages_busy += 1
                logger.info("邮件 %s 正由另一运行处理，本次跳过", message.name)
                continue
            if claim == "claimed":
                fresh, files = _archive_message(
                    session, run=run, archive=archive, message=message, config=config, limits=settings.limits
                )
                session.commit()  # archived and committed: only now may the source forget it
                fault_point("archived")
                summary.files_received += files
                summary.messages_new += int(fresh)
                summary.messages_duplicate += int(not fresh)
            inbox.mark_done(message)
            record_done(session, message.key)
            session.commit()
        logger.info(
            "收件箱读取完成：新邮件 %d 封，重复投递 %d 封，他人处理中 %d 封",
            summary.messages_new,
            summary.messages_duplicate,
            summary.messages_busy,
        )


# --- (2) the upload folder ------------------------------------------------------------------


def _ingest_uploads(
    root: Path, sessions: sessionmaker[Session], run: Run, settings: Settings, summary: RunSummary
) -> None:
    logger = get_run_logger()
    archive = RawArchive(settings.archive_dir)
    # Archived in the order the receipts are saved in (by source), so a run killed halfway has
    # taken in a prefix of that order and its resumption numbers versions as a clean run does.
    files = sorted(scan_upload_folder(root), key=lambda entry: entry.path.relative_to(root).as_posix())
    logger.info("开始处理上传目录 %s：共 %d 个文件", root, len(files))
    summary.files_received += len(files)
    with sessions() as session:
        run = session.merge(run)
        for entry in tqdm(files, desc="归档", unit="个", disable=None):
            source = entry.path.relative_to(root).as_posix()
            reason = entry.not_read
            rule = "file.unreadable"
            content = b""
            if reason is None:
                try:
                    content = _read_regular(entry.path, settings.limits)
                except OSError as error:  # gone or locked since the listing: the run goes on
                    reason = f"文件无法读取（{error.strerror or type(error).__name__}）"
                except _TooLarge as large:
                    rule = "file.too_large"
                    reason = (
                        f"文件大小超过处理上限：文件为{size_text(large.size)}，"
                        f"上限为{size_text(settings.limits.bytes_per_file)}，未读取"
                    )
            if reason is not None:
                logger.warning("%s：%s", source, reason)
                content = not_read_record(source, reason, rule=rule)
            archived = archive.store(content)
            fault_point("archiving")
            receipt = record_received_file(
                session, run=run, archived=archived, source=source, received_at=utcnow()
            )
            session.commit()
            fault_point("archived")
            stored_codes = stored_error_codes(session, archived.sha256, receipt.route)
            if stored_codes is not None:
                summary.documents_unchanged += 1
                summary.files_unreadable += any(code.startswith("file.") for code in stored_codes)


# --- (3) extraction, checks, storage -------------------------------------------------------


class PendingFile(BaseModel):
    sha256: str
    source: str
    origin: Origin
    route: str
    archive_path: str
    message_school: str | None = None
    # Receipt order: the upload folder (by run, then path), then e-mail by its receipt time
    # and path. Documents are saved in this order, never in the order their extraction
    # finished, so versions come out the same however a run is cut and resumed: a killed run
    # has archived a prefix of its folder (archived by path) and some of its e-mails (whose
    # times do not depend on the run that took them in).
    order: tuple[int, int, str, str] = (0, 0, "", "")

    @property
    def key(self) -> tuple[str, str]:
        return (self.sha256, self.route)


def _pending_files(session: Session) -> list[PendingFile]:
    """Every received file without a document, one per content and route: crash recovery
    comes free."""
    pending: dict[tuple[str, str], PendingFile] = {}
    for receipt in unprocessed_receipts(session):
        if (receipt.sha256, receipt.route) in pending:
            continue
        message = receipt.message
        origin = receipt_origin(receipt.source, message.name if message is not None else None)
        order = (
            (1, 0, as_utc(receipt.received_at).isoformat(), receipt.source)
            if message is not None
            else (0, receipt.run_id, "", receipt.source)
        )
        pending[(receipt.sha256, receipt.route)] = PendingFile(
            sha256=receipt.sha256,
            source=receipt.source,
            origin=origin,
            route=receipt.route,
            archive_path=receipt.archive_path,
            message_school=message.school.name if message is not None and message.school else None,
            order=order,
        )
    return sorted(pending.values(), key=lambda p: p.order)


@task(
    name="save-document",
    cache_policy=NONE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_retry_only_transient,
)
def save_task(
    result: DocumentResult,
    db_url: str,
    run_id: int,
    school: str | None,
    certificate: str | None,
    route: str | None = None,
) -> SaveOutcome:
    with _sessions(db_url)() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise RuntimeError(f"run {run_id} is missing from the review database")
        try:
            outcome = save_document(
                session, result, run=run, school=school, certificate=certificate, route=route
            )
            session.commit()
        except IntegrityError as error:
            # Another run saved the same document a moment ago: theirs stands, ours adds nothing.
            session.rollback()
            found = select(Document).where(Document.sha256 == result.sha256)
            if route is not None:
                found = found.where(Document.route == route)
            existing = session.scalars(found.order_by(Document.id)).first()
            if existing is None:
                # Another version of the same submission took this version number: try again,
                # and the retry numbers ours after theirs.
                raise TransientError(f"保存“{result.source}”时与另一运行冲突，稍后重试") from error
            return SaveOutcome(document_id=existing.id, version=existing.version, created=False)
        return outcome


def _school_of(result: DocumentResult, pending: PendingFile, config: RoundConfig) -> str | None:
    """The document's own statement first (plan's school line, table's 院校名称), then the
    e-mail's sender, subject and names, then the file's path."""
    declared = [
        name
        for name in (
            result.plan.data.school if result.plan else None,
            result.annex1.school if result.annex1 else None,
        )
        if name
    ]
    if declared:
        match = identify_school(config, declared=declared)
        if match is not None:
            return match.name
    if pending.message_school:
        return pending.message_school
    # The platform exports one folder per school: its name says the school, on the list or not.
    by_path = identify_school(config, file_names=pending.source.split("/"))
    return by_path.name if by_path is not None else None


def _store_result(
    result: DocumentResult, pending: PendingFile, config: RoundConfig, settings: Settings, summary: RunSummary
) -> None:
    logger = get_run_logger()
    archive = RawArchive(settings.archive_dir)
    for crop in result.crops:
        archive.store_crop(crop.name, crop.png)  # the findings' evidence, before they are saved
    result = result.model_copy(update={"source": pending.source, "crops": []})
    result.findings = check_document(result, config)
    school = _school_of(result, pending, config)
    certificate = result.plan.data.certificate if result.plan else None
    outcome = save_task(result, settings.db_url, summary.run_id, school, certificate, pending.route)
    fault_point("saved")
    summary.documents_new += int(outcome.created)
    summary.documents_superseded += int(outcome.superseded_document_id is not None)
    summary.files_unreadable += int(any(e.code.startswith("file.") for e in result.errors))
    summary.internal_errors += int(any(e.code == "internal.error" for e in result.errors))
    errors = sum(1 for f in result.findings if f.severity == "error")
    warnings = len(result.findings) - errors
    summary.findings_error += errors
    summary.findings_warning += warnings
    fixed = ""
    if outcome.superseded_document_id is not None:
        comparison = outcome.comparison
        fixed = (
            f"；替换旧版本：已改正 {len(comparison.resolved)} 条，"
            f"仍存在 {len(comparison.still_open)} 条，新增 {len(comparison.new)} 条"
        )
    kind = {"plan": "试点方案", "annex1": "附件1统计表", "other": "其他文件"}[result.kind]
    status = {"ok": "读取正常", "partial": "部分读取", "failed": "无法读取"}[result.status]
    if any(e.code == "ocr.required" for e in result.errors):
        status = "扫描件，待OCR识别"
    logger.info(
        "%s（%s，%s）：%s，错误 %d 条，警告 %d 条%s",
        result.source,
        school or "未识别学校",
        kind,
        status,
        errors,
        warnings,
        fixed,
    )


def _process_pending(
    sessions: sessionmaker[Session], config: RoundConfig, settings: Settings, summary: RunSummary
) -> None:
    logger = get_run_logger()
    round_file = str(settings.round_file) if settings.round_file else None
    with sessions() as session:
        pending = {p.key: p for p in _pending_files(session)}
    logger.info("待识别文件 %d 个", len(pending))
    submitted = {
        key: extract_task.submit(
            p.sha256, p.source, p.origin, p.archive_path, round_file, settings.limits, settings.ocr
        )
        for key, p in pending.items()
    }
    key_of = {future.task_run_id: key for key, future in submitted.items()}
    order = list(pending)  # already in receipt order
    finished: dict[tuple[str, str], DocumentResult] = {}
    saved = 0
    with tqdm(total=len(submitted), desc="识别与检查", unit="份", disable=None) as bar:
        for done, future in enumerate(as_completed(list(submitted.values())), start=1):
            finished[key_of[future.task_run_id]] = future.result()
            fault_point("extracted")
            # Save whatever is next in receipt order; later files wait for earlier ones.
            while saved < len(order) and order[saved] in finished:
                key = order[saved]
                _store_result(finished.pop(key), pending[key], config, settings, summary)
                saved += 1
            bar.update(1)
            if done % 10 == 0 or done == len(submitted):
                logger.info("进度：已处理 %d/%d 份文件", done, len(submitted))


# --- (4) school-level rules -----------------------------------------------------------------


def _check_schools(
    sessions: sessionmaker[Session], run: Run, config: RoundConfig, summary: RunSummary
) -> None:
    logger = get_run_logger()
    known = {entry.name for entry in config.schools}
    with sessions() as session:
        # Overlapping runs take turns: each re-evaluates every school from all current documents.
        lock_for_transaction(session, SCHOOL_CHECK_LOCK_KEY)
        run = session.merge(run)
        bundles = gather_school_facts(session, known)
        for facts in bundles:
            findings = check_school(facts, config)
            comparison = save_school_findings(session, run=run, school=facts.school, findings=findings)
            summary.school_findings_open += len(findings)
            if comparison.new or comparison.resolved:
                logger.info(
                    "%s：学校层面问题新增 %d 条，已解决 %d 条，仍存在 %d 条",
                    facts.school,
                    len(comparison.new),
                    len(comparison.resolved),
                    len(comparison.still_open),
                )
        session.commit()
    summary.schools_checked = len(bundles)
    logger.info("学校层面检查完成：%d 所学校，未解决问题 %d 条", len(bundles), summary.school_findings_open)


def _close_abandoned_runs(session: Session) -> None:
    """Runs whose process died (killed, machine restarted) are marked so in the run list."""
    now = utcnow()
    for stale in session.scalars(select(Run).where(Run.status == "running")):
        if not owner_is_alive(stale.owner, stale.started_at, now):
            stale.status = "abandoned"
            stale.finished_at = now


def _describe(uploads: str | None, inbox: Inbox | None) -> str:
    parts: list[str] = []
    if inbox is not None:
        parts.append(inbox.description)
    if uploads:
        parts.append(f"上传目录 {uploads}")
    return "；".join(parts)


@flow(name="pilot-intake", log_prints=False)
def intake(settings: Settings, uploads: str | None = None, inbox: str | None = None) -> RunSummary:
    """Everything new in the inbox and the upload folder, into the review database."""
    round_file = str(settings.round_file) if settings.round_file else None
    config = _round(round_file)
    migrate(_engine(settings.db_url))
    sessions = _sessions(settings.db_url)
    source = open_inbox(inbox, limits=settings.limits) if inbox else None
    with sessions() as session:
        _close_abandoned_runs(session)
        sync_schools(session, config)
        run = start_run(
            session, source_root=_describe(uploads, source), config_name=config.name, owner=current_owner()
        )
        session.commit()
    fault_point("run-started")
    summary = RunSummary(run_id=run.id)
    if source is not None:
        _ingest_inbox(source, sessions, run, settings, config, summary)
    if uploads:
        _ingest_uploads(Path(uploads), sessions, run, settings, summary)
    fault_point("all-archived")
    _process_pending(sessions, config, settings, summary)
    _check_schools(sessions, run, config, summary)
    with sessions() as session:
        run = session.merge(run)
        finish_run(session, run, status="completed", counts=summary.model_dump(exclude={"run_id"}))
        session.commit()
    get_run_logger().info(
        "处理完成：新邮件 %d 封，新文件 %d 份，替换旧版本 %d 份，无法读取 %d 份；错误 %d 条，警告 %d 条，学校层面问题 %d 条",
        summary.messages_new,
        summary.documents_new,
        summary.documents_superseded,
        summary.files_unreadable,
        summary.findings_error,
        summary.findings_warning,
        summary.school_findings_open,
    )
    return summary
