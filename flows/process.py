"""The upload-folder flow: archive every file first, extract what is new, check, store.

Extraction is a Prefect task cached by content hash (a rerun redoes only what changed, and
the cache survives a lost database), retried only when the failure is transient. Reading
a bad file never raises: it comes back as a failed DocumentResult with a ``file.*`` finding,
so one bad upload never stops the batch.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import TaskRunContext
from prefect.futures import as_completed
from prefect.states import State
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from checks import check_document
from extractors.errors import TransientError
from extractors.plan_document import EXTRACTOR_VERSION, extract_plan_document, plan_extractor_for
from extractors.plan_fields import PlanExtractor
from extractors.schools import school_in_text
from flows.settings import Settings
from review.archive import RawArchive
from review.db import make_engine, migrate, session_factory
from review.models import Run
from review.store import (
    SaveOutcome,
    finish_run,
    record_received_file,
    save_document,
    start_run,
    stored_error_codes,
    sync_schools,
)
from schemas.document import DocumentResult, ProcessingError
from schemas.round_config import RoundConfig, load_round_config


class RunSummary(BaseModel):
    run_id: int
    files_received: int = 0
    documents_new: int = 0
    documents_unchanged: int = 0
    documents_superseded: int = 0
    files_unreadable: int = 0
    internal_errors: int = 0
    findings_error: int = 0
    findings_warning: int = 0


def _retry_only_transient(task_: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry database hiccups and other transient faults, never a bad input or a bug."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, (TransientError, OperationalError))


def _extraction_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return f"{EXTRACTOR_VERSION}-{parameters['sha256']}"


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
def extract_task(sha256: str, source: str, archive_path: str, round_file: str | None) -> DocumentResult:
    content = Path(archive_path).read_bytes()
    try:
        return extract_plan_document(content, source=source, extractor=_extractor(round_file))
    except TransientError:
        raise
    except Exception as error:  # a bug must cost one document, not the batch
        return DocumentResult(
            source=source,
            sha256=sha256,
            kind="plan",
            status="failed",
            errors=[
                ProcessingError(
                    component="pipeline",
                    code="internal.error",
                    message=f"处理该文件时程序出错（{type(error).__name__}: {error}），请联系系统管理员",
                )
            ],
        )


def list_upload_files(folder: Path) -> list[Path]:
    """Every regular file below ``folder`` except hidden ones, in a stable order."""
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(root) / name for name in sorted(names) if not name.startswith("."))
    return files


@flow(name="process-upload-folder", log_prints=False)
def process_upload_folder(folder: str, settings: Settings) -> RunSummary:
    logger = get_run_logger()
    round_file = str(settings.round_file) if settings.round_file else None
    config = _round(round_file)
    root = Path(folder)
    migrate(_engine(settings.db_url))
    sessions = _sessions(settings.db_url)
    archive = RawArchive(settings.archive_dir)
    files = list_upload_files(root)
    logger.info("开始处理上传目录 %s：共 %d 个文件", root, len(files))

    with sessions() as session:
        sync_schools(session, config)
        run = start_run(session, source_root=str(root), config_name=config.name)
        session.commit()
        run_id = run.id
    summary = RunSummary(run_id=run_id, files_received=len(files))

    # Archive and record every file before anything else reads it: nothing received is lost.
    pending: dict[str, tuple[str, str]] = {}
    with sessions() as session:
        run = session.merge(run)
        for path in tqdm(files, desc="归档", unit="个", disable=None):
            archived = archive.store(path.read_bytes())
            source = path.relative_to(root).as_posix()
            record_received_file(
                session, run=run, archived=archived, source=source, received_at=dt.datetime.now(dt.UTC)
            )
            session.commit()
            stored_codes = stored_error_codes(session, archived.sha256)
            if stored_codes is not None:
                summary.documents_unchanged += 1
                summary.files_unreadable += any(code.startswith("file.") for code in stored_codes)
            elif archived.sha256 not in pending:
                pending[archived.sha256] = (source, str(archived.path))
    logger.info(
        "已归档 %d 个文件；新文件或已更改 %d 个，未变化 %d 个",
        len(files),
        len(pending),
        summary.documents_unchanged,
    )

    futures = [
        extract_task.submit(sha256, source, archive_path, round_file)
        for sha256, (source, archive_path) in pending.items()
    ]
    with tqdm(total=len(futures), desc="识别与检查", unit="份", disable=None) as bar:
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            _store_result(result, config, settings, summary)
            bar.update(1)
            if done % 10 == 0 or done == len(futures):
                logger.info("进度：已处理 %d/%d 份文件", done, len(futures))

    with sessions() as session:
        run = session.merge(run)
        counts = summary.model_dump(exclude={"run_id"})
        finish_run(session, run, status="completed", counts=counts)
        session.commit()
    logger.info(
        "处理完成：新文件 %d 份，替换旧版本 %d 份，无法读取 %d 份；错误 %d 条，警告 %d 条",
        summary.documents_new,
        summary.documents_superseded,
        summary.files_unreadable,
        summary.findings_error,
        summary.findings_warning,
    )
    return summary


@cache
def _engine(db_url: str) -> Engine:
    return make_engine(db_url)


@cache
def _sessions(db_url: str) -> sessionmaker[Session]:
    return session_factory(_engine(db_url))


@task(
    name="save-document",
    cache_policy=NONE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_retry_only_transient,
)
def save_task(
    result: DocumentResult, db_url: str, run_id: int, school: str | None, certificate: str | None
) -> SaveOutcome:
    with _sessions(db_url)() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise RuntimeError(f"run {run_id} is missing from the review database")
        outcome = save_document(session, result, run=run, school=school, certificate=certificate)
        session.commit()
        return outcome


def _store_result(
    result: DocumentResult, config: RoundConfig, settings: Settings, summary: RunSummary
) -> None:
    logger = get_run_logger()
    result.findings = check_document(result, config)
    school = result.plan.data.school if result.plan else None
    certificate = result.plan.data.certificate if result.plan else None
    if school is None or config.school(school) is None:
        school = school_in_text(result.source, config) or school
    outcome = save_task(result, settings.db_url, summary.run_id, school, certificate)
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
    logger.info(
        "%s（%s）：%s，错误 %d 条，警告 %d 条%s",
        result.source,
        school or "未识别学校",
        {"ok": "读取正常", "partial": "部分读取", "failed": "无法读取"}[result.status],
        errors,
        warnings,
        fixed,
    )
