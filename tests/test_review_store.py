"""The review database on SQLite and PostgreSQL: migration, idempotent writes, versioning
with finding comparison, unknown schools, and the two outputs (JSON export, xlsx report)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from openpyxl import load_workbook
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checks import REGISTRY, check_document
from review.archive import RawArchive
from review.db import alembic_config, make_engine, migrate
from review.export_json import build_export, write_export
from review.models import (
    Base,
    Document,
    ExtractedField,
    FindingChange,
    FindingRow,
    Page,
    ProcessingErrorRow,
    ReceivedFile,
    Run,
    School,
)
from review.report_xlsx import ERROR_FILL, WARNING_FILL, write_exception_report
from review.store import (
    SaveOutcome,
    finish_run,
    is_document_current,
    record_received_file,
    save_document,
    save_school_findings,
    start_run,
    sync_schools,
)
from schemas.annex1 import Annex1Data
from schemas.document import DocumentResult, Evidence, PlanFacts, ProcessingError
from schemas.export import ExportFile
from schemas.facts import Box, Line, PageFacts, PageKind
from schemas.finding import Finding, Severity
from schemas.plan import ExamSession, Funding, PlanData
from schemas.round_config import RoundConfig, load_round_config

CONFIG: RoundConfig = load_round_config()
GAOZHI = "长沙民政职业技术学院"  # 高职, 长沙市: reviewed by the province
ZHONGZHI = "长沙市财经学校"  # 中职, 长沙市: reviewed by the city bureau
UNKNOWN = "某某县职业学校"  # not in the round configuration
CERT = "老年照护"
RECEIVED = dt.datetime(2022, 4, 20, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))

TABLES = {
    "schools",
    "runs",
    "received_files",
    "documents",
    "pages",
    "extracted_fields",
    "findings",
    "finding_changes",
    "processing_errors",
    "messages",
}


# --- builders ------------------------------------------------------------------------------


def finding(
    rule: str,
    message: str,
    *,
    page: int | None = 1,
    evidence: str | None = None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(rule=rule, severity=severity, message=message, page=page, evidence=evidence)


FEE = finding(
    "plan.no_fee_declaration",
    "经费保障未注明不向学生收取任何培训、考核费用",
    page=3,
    evidence="考核费用由学生自行承担",
)
SEAL = finding("plan.seal_missing", "试点方案未加盖学校公章，请盖章后重新提交", page=1)
SESSIONS = finding(
    "plan.sessions_sum", "各场次人数之和（40）与报考人数（45）不符", page=2, evidence="报考人数：45人"
)
UNKNOWN_CERT = finding(
    "plan.unknown_certificate",
    "证书“养老护理”不在本轮证书目录中，是否为“老年照护”？",
    page=1,
    severity=Severity.WARNING,
)


def page(number: int, text: str, kind: PageKind = "plan") -> PageFacts:
    box = Box(x0=10, top=10, x1=500, bottom=30)
    return PageFacts(
        number=number,
        width=595,
        height=842,
        has_text_layer=True,
        kind=kind,
        lines=[Line(text=text, box=box)],
    )


def plan_result(
    content: bytes, source: str, *, school: str = GAOZHI, findings: list[Finding], candidates: int = 45
) -> DocumentResult:
    data = PlanData(
        school=school,
        certificate=CERT,
        level="中级",
        candidates=candidates,
        sessions=[ExamSession(date=dt.date(2022, 10, 15), start="09:00", end="11:00", count=40)],
        funding=Funding(exam_fee_source="学校专项经费", amount_wan=1.5, no_student_fee_declared=True),
    )
    return DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind="plan",
        page_count=3,
        pages=[
            page(1, f"{school}2022年职业技能等级证书试点工作方案"),
            page(2, "考核场次"),
            page(3, "试点合作协议", kind="agreement"),
        ],
        plan=PlanFacts(
            data=data,
            evidence={
                "funding.amount_wan": Evidence(page=3, text="经费1.5万元"),
                "sessions": Evidence(page=2, text="2022年10月15日 9:00-11:00 40人"),
            },
        ),
        findings=findings,
    )


def annex1_result(content: bytes, source: str, school: str) -> DocumentResult:
    return DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind="annex1",
        page_count=1,
        annex1=Annex1Data(school=school, date=dt.date(2022, 4, 20)),
        findings=[finding("annex1.seal_missing", "附件1未加盖学校公章", page=1)],
    )


def ingest(
    session: Session,
    archive: RawArchive,
    run: Run,
    content: bytes,
    result: DocumentResult,
    *,
    school: str | None,
    certificate: str | None = CERT,
) -> SaveOutcome:
    """What the pipeline does for one file: archive first, record the receipt, save.

    A run that has taken in a file already is completed and the file comes in a run of its
    own after it, so successive files are successive versions (their order is known: see
    ``review.store.receipt_order``); files arriving together are test_versions.py's case."""
    run = session.scalars(select(Run).order_by(Run.id.desc())).first() or run
    if session.scalar(select(func.count()).select_from(ReceivedFile).where(ReceivedFile.run_id == run.id)):
        finish_run(session, run, status="completed", counts={})
        run = start_run(session, source_root="/data/inbox", config_name=CONFIG.name)
    archived = archive.store(content)
    record_received_file(session, run=run, archived=archived, source=result.source, received_at=RECEIVED)
    return save_document(session, result, run=run, school=school, certificate=certificate)


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


@pytest.fixture
def run(session: Session) -> Run:
    sync_schools(session, CONFIG)
    run = start_run(session, source_root="/data/inbox", config_name=CONFIG.name)
    session.commit()
    return run


@pytest.fixture
def corrected(session: Session, archive: RawArchive, run: Run) -> tuple[Document, Document]:
    """A plan with three problems, then a corrected file fixing one and adding another."""
    ingest(
        session,
        archive,
        run,
        b"plan v1",
        plan_result(b"plan v1", "upload/民政/老年照护.pdf", findings=[FEE, SEAL, SESSIONS]),
        school=GAOZHI,
    )
    moved_seal = finding(SEAL.rule, SEAL.message, page=2)  # same problem, now on page 2
    # The correction comes in a later run, after the first completed: its order is known.
    finish_run(session, run, status="completed", counts={})
    later = start_run(session, source_root="/data/inbox", config_name=CONFIG.name)
    ingest(
        session,
        archive,
        later,
        b"plan v2",
        plan_result(
            b"plan v2",
            "mail/0420.eml/老年照护方案（更正）.pdf",
            findings=[moved_seal, SESSIONS, UNKNOWN_CERT],
        ),
        school=GAOZHI,
    )
    session.commit()
    v1, v2 = session.scalars(select(Document).order_by(Document.version)).all()
    return v1, v2


# --- schema and migration ------------------------------------------------------------------


def test_migration_creates_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert context.get_current_revision() == head
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}


def test_migrate_twice_is_harmless_from_any_directory(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # migrations are found next to review/db.py, not via the cwd
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_migration_downgrades_cleanly(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Page(document_id=424242, number=1, kind="plan", text="", has_text_layer=False))
    with pytest.raises(IntegrityError):
        session.flush()


# --- idempotence ---------------------------------------------------------------------------


def test_same_file_twice_adds_nothing(session: Session, archive: RawArchive, run: Run) -> None:
    content = "%PDF- 民政的方案".encode()
    result = plan_result(content, "upload/民政/老年照护.pdf", findings=[FEE, SEAL])
    first = ingest(session, archive, run, content, result, school=GAOZHI)
    session.commit()
    before = row_counts(session)
    assert first.created and first.version == 1 and first.superseded_document_id is None
    assert is_document_current(session, result.sha256, "upload:plan")
    assert before["documents"] == 1 and before["findings"] == 2 and before["pages"] == 3

    # A rerun over the same inbox, in a new run.
    second_run = start_run(session, source_root="/data/inbox", config_name=CONFIG.name)
    session.commit()
    again = ingest(session, archive, second_run, content, result, school=GAOZHI)
    session.commit()

    assert not again.created
    assert again.document_id == first.document_id and again.version == 1
    assert again.comparison.resolved == again.comparison.still_open == again.comparison.new == []
    after = row_counts(session)
    assert after == {**before, "runs": before["runs"] + 1}


def test_same_bytes_under_another_name_is_a_second_receipt_of_one_document(
    session: Session, archive: RawArchive, run: Run
) -> None:
    content = b"resent by e-mail"
    ingest(session, archive, run, content, plan_result(content, "upload/a.pdf", findings=[]), school=GAOZHI)
    again = ingest(
        session, archive, run, content, plan_result(content, "mail/x.eml/a.pdf", findings=[]), school=GAOZHI
    )
    session.commit()
    assert not again.created
    assert session.scalar(select(func.count()).select_from(ReceivedFile)) == 2
    assert session.scalar(select(func.count()).select_from(Document)) == 1


def test_archive_is_written_first_and_survives_a_rolled_back_save(
    session: Session, archive: RawArchive, run: Run
) -> None:
    content = b"bytes that must never be lost"
    archived = archive.store(content)
    receipt = record_received_file(
        session, run=run, archived=archived, source="upload/x.pdf", received_at=RECEIVED
    )
    assert receipt.archive_path == str(archive.path_for(archived.sha256))
    session.rollback()  # the database write failed

    assert archive.read(archived.sha256) == content
    assert session.scalar(select(func.count()).select_from(ReceivedFile)) == 0


# --- versioning ----------------------------------------------------------------------------


def test_corrected_file_becomes_version_2_and_findings_are_compared(
    session: Session, archive: RawArchive, run: Run
) -> None:
    first = ingest(
        session,
        archive,
        run,
        b"plan v1",
        plan_result(b"plan v1", "upload/民政/老年照护.pdf", findings=[FEE, SEAL, SESSIONS]),
        school=GAOZHI,
    )
    moved_seal = finding(SEAL.rule, SEAL.message, page=2)
    second = ingest(
        session,
        archive,
        run,
        b"plan v2",
        plan_result(
            b"plan v2",
            "mail/0420.eml/老年照护方案（更正）.pdf",
            findings=[moved_seal, SESSIONS, UNKNOWN_CERT],
        ),
        school=GAOZHI,
    )
    session.commit()

    assert second.created and second.version == 2
    assert second.superseded_document_id == first.document_id
    assert [f.rule for f in second.comparison.resolved] == ["plan.no_fee_declaration"]
    assert [(f.rule, f.page) for f in second.comparison.still_open] == [
        ("plan.seal_missing", 2),
        ("plan.sessions_sum", 2),
    ]
    assert [f.rule for f in second.comparison.new] == ["plan.unknown_certificate"]

    v1 = session.get(Document, first.document_id)
    v2 = session.get(Document, second.document_id)
    assert v1 is not None and v2 is not None
    assert v1.superseded_by_id == v2.id and v2.superseded_by_id is None
    assert v1.submission_key == v2.submission_key == f"plan|{GAOZHI}|{CERT}"
    statuses = {row.rule: row.status for row in v1.findings}
    assert statuses == {
        "plan.no_fee_declaration": "resolved",
        "plan.seal_missing": "open",
        "plan.sessions_sum": "open",
    }
    fee_row = next(row for row in v1.findings if row.rule == "plan.no_fee_declaration")
    assert fee_row.resolved_by_document_id == v2.id and fee_row.resolved_run_id == v2.run_id != run.id
    assert all(row.status == "open" for row in v2.findings)

    changes = session.scalars(select(FindingChange).order_by(FindingChange.id)).all()
    assert sorted(c.change for c in changes) == ["new", "resolved", "still_open", "still_open"]
    assert {c.document_id for c in changes} == {v2.id}
    assert {c.previous_document_id for c in changes} == {v1.id}
    resolved = next(c for c in changes if c.change == "resolved")
    assert resolved.old_finding is not None and resolved.old_finding.rule == "plan.no_fee_declaration"
    assert resolved.new_finding_id is None


def test_third_version_supersedes_the_second_only(session: Session, archive: RawArchive, run: Run) -> None:
    outcomes = [
        ingest(
            session,
            archive,
            run,
            content,
            plan_result(content, f"upload/{i}.pdf", findings=[SEAL]),
            school=GAOZHI,
        )
        for i, content in enumerate([b"one", b"two", b"three"], start=1)
    ]
    session.commit()
    assert [o.version for o in outcomes] == [1, 2, 3]
    assert outcomes[2].superseded_document_id == outcomes[1].document_id
    assert [o.comparison.still_open for o in outcomes[1:]] == [
        [SEAL.model_copy(update={"document": "upload/2.pdf"})],
        [SEAL.model_copy(update={"document": "upload/3.pdf"})],
    ]
    docs = session.scalars(select(Document).order_by(Document.version)).all()
    assert [d.superseded_by_id for d in docs] == [docs[1].id, docs[2].id, None]


def test_identical_findings_count_as_a_multiset(session: Session, archive: RawArchive, run: Run) -> None:
    twice = [
        finding("plan.field_missing", "“师资情况”未填写", page=2),
        finding("plan.field_missing", "“师资情况”未填写", page=4),
    ]
    ingest(session, archive, run, b"a", plan_result(b"a", "upload/p.pdf", findings=twice), school=GAOZHI)
    outcome = ingest(
        session, archive, run, b"b", plan_result(b"b", "upload/p.pdf", findings=twice[:1]), school=GAOZHI
    )
    assert len(outcome.comparison.still_open) == 1
    assert len(outcome.comparison.resolved) == 1
    assert outcome.comparison.new == []


def test_unidentified_documents_version_by_source(session: Session, archive: RawArchive, run: Run) -> None:
    def other(content: bytes) -> DocumentResult:
        return DocumentResult(
            source="mail/m1.eml/说明.docx", sha256=hashlib.sha256(content).hexdigest(), kind="other"
        )

    first = ingest(session, archive, run, b"x1", other(b"x1"), school=None, certificate=None)
    second = ingest(session, archive, run, b"x2", other(b"x2"), school=None, certificate=None)
    separate = ingest(
        session,
        archive,
        run,
        b"x3",
        DocumentResult(source="mail/m2.eml/其他.docx", sha256=hashlib.sha256(b"x3").hexdigest()),
        school=None,
        certificate=None,
    )
    assert (first.version, second.version, separate.version) == (1, 2, 1)
    assert second.superseded_document_id == first.document_id
    doc = session.get(Document, first.document_id)
    assert doc is not None and doc.submission_key == "source|mail/m1.eml/说明.docx" and doc.school_id is None


def test_annex1_versions_per_school_and_form(session: Session, archive: RawArchive, run: Run) -> None:
    first = ingest(
        session,
        archive,
        run,
        b"a1",
        annex1_result(b"a1", "mail/1.eml/附件1.xlsx", ZHONGZHI),
        school=ZHONGZHI,
        certificate=None,
    )
    second = ingest(
        session,
        archive,
        run,
        b"a2",
        annex1_result(b"a2", "mail/2.eml/附件1（更正）.xlsx", ZHONGZHI),
        school=ZHONGZHI,
        certificate=None,
    )
    assert second.version == 2 and second.superseded_document_id == first.document_id
    assert [f.rule for f in second.comparison.still_open] == ["annex1.seal_missing"]
    # The scan of the stamped paper is the table's companion, not its replacement.
    scan = ingest(
        session,
        archive,
        run,
        b"a3",
        annex1_result(b"a3", "mail/2.eml/附件1（盖章）.pdf", ZHONGZHI),
        school=ZHONGZHI,
        certificate=None,
    )
    assert scan.version == 1 and scan.superseded_document_id is None


# --- content of a saved document -----------------------------------------------------------


def test_document_pages_fields_and_errors_are_stored(session: Session, archive: RawArchive, run: Run) -> None:
    content = b"plan with an OCR problem"
    result = plan_result(content, "upload/p.pdf", findings=[SEAL])
    result = result.model_copy(
        update={
            "errors": [
                ProcessingError(
                    component="ocr", code="file.ocr_low_confidence", message="第2页识别置信度低", page=2
                )
            ],
            "status": "partial",
        }
    )
    outcome = ingest(session, archive, run, content, result, school=GAOZHI)
    session.commit()

    doc = session.get(Document, outcome.document_id)
    assert doc is not None
    assert doc.status == "partial" and doc.page_count == 3 and doc.kind == "plan"
    assert doc.received_file is not None and doc.received_file.source == "upload/p.pdf"
    assert doc.data is not None and doc.data["funding"]["amount_wan"] == 1.5
    assert [(p.number, p.kind) for p in doc.pages] == [(1, "plan"), (2, "plan"), (3, "agreement")]
    assert doc.pages[2].text == "试点合作协议" and doc.pages[0].has_text_layer
    assert [(e.component, e.code, e.page) for e in doc.errors] == [("ocr", "file.ocr_low_confidence", 2)]

    fields = {
        f.field: f
        for f in session.scalars(select(ExtractedField).where(ExtractedField.document_id == doc.id))
    }
    assert fields["funding.amount_wan"].value == 1.5
    assert (fields["funding.amount_wan"].page, fields["funding.amount_wan"].evidence) == (3, "经费1.5万元")
    assert fields["sessions.0.count"].value == 40
    assert fields["sessions.0.date"].value == "2022-10-15"
    assert fields["sessions.0.count"].page == 2  # evidence of the whole section
    assert fields["school"].value == GAOZHI and fields["school"].evidence is None
    assert fields["agreement.pages"].value == []
    assert fields["funding.no_student_fee_declared"].value is True
    assert "kind" not in fields
    # One row per leaf of the plan data: 5 top-level scalars, exam_period 2, one session 4,
    # teachers 4, facilities 3, funding 4, attachments 3, agreement 4, seal 3, signature 2.
    assert len(fields) == 34


def test_unreadable_file_is_stored_with_its_error_and_finding(
    session: Session, archive: RawArchive, run: Run
) -> None:
    content = b"\x00encrypted"
    result = DocumentResult(
        source="upload/加密.pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        kind="other",
        status="failed",
        errors=[ProcessingError(component="pdf", code="file.encrypted", message="PDF设置了打开密码")],
    )
    result.findings = check_document(result, load_round_config())  # findings come from the checks
    outcome = ingest(session, archive, run, content, result, school=GAOZHI, certificate=None)
    rows = session.scalars(select(FindingRow).where(FindingRow.document_id == outcome.document_id)).all()
    assert [(r.rule, r.severity) for r in rows] == [("file.encrypted", "error")]
    assert rows[0].message.startswith("PDF设置了打开密码") and "取消密码" in rows[0].message
    assert session.scalar(select(func.count()).select_from(ProcessingErrorRow)) == 1


# --- schools and runs ----------------------------------------------------------------------


def test_sync_schools_and_unknown_schools_are_kept(session: Session, archive: RawArchive, run: Run) -> None:
    ingest(
        session,
        archive,
        run,
        b"u",
        plan_result(b"u", "upload/unknown.pdf", school=UNKNOWN, findings=[]),
        school=UNKNOWN,
    )
    session.commit()
    sync_schools(session, CONFIG)  # a later run re-syncs: the unknown school stays
    session.commit()

    schools = {s.name: s for s in session.scalars(select(School))}
    assert len(schools) == len(CONFIG.schools) + 1
    assert schools[UNKNOWN].known is False and schools[UNKNOWN].type is None
    assert (
        schools[GAOZHI].type,
        schools[GAOZHI].city,
        schools[GAOZHI].review_authority,
        schools[GAOZHI].known,
    ) == ("高职", "长沙市", "province", True)
    assert schools[ZHONGZHI].review_authority == "city"

    smaller = CONFIG.model_copy(update={"schools": [s for s in CONFIG.schools if s.name != GAOZHI]})
    sync_schools(session, smaller)
    session.commit()
    assert session.scalars(select(School.known).where(School.name == GAOZHI)).one() is False
    assert session.scalar(select(func.count()).select_from(School)) == len(CONFIG.schools) + 1


def test_school_findings_are_replaced_per_run(session: Session, run: Run) -> None:
    missing = Finding(
        rule="school.annex1_missing", severity=Severity.ERROR, message="已提交试点方案，但未收到附件1"
    )
    late = Finding(
        rule="school.late_submission",
        severity=Severity.WARNING,
        message="材料于4月29日收到，晚于截止时间",
        document="mail/9.eml/方案.pdf",
    )
    first = save_school_findings(session, run=run, school=GAOZHI, findings=[missing, late])
    again = save_school_findings(session, run=run, school=GAOZHI, findings=[missing, late])
    session.commit()
    assert len(first.new) == 2 and again.new == [] and len(again.still_open) == 2
    assert session.scalar(select(func.count()).select_from(FindingRow)) == 2

    later = start_run(session, source_root="/data/inbox", config_name=CONFIG.name)
    fixed = save_school_findings(session, run=later, school=GAOZHI, findings=[late])
    session.commit()
    assert [f.rule for f in fixed.resolved] == ["school.annex1_missing"]
    rows = {r.rule: r for r in session.scalars(select(FindingRow))}
    assert rows["school.annex1_missing"].status == "resolved"
    assert rows["school.annex1_missing"].resolved_run_id == later.id
    assert (
        rows["school.late_submission"].status == "open" and rows["school.late_submission"].document_id is None
    )


def test_runs_record_status_and_counts(session: Session) -> None:
    run = start_run(session, source_root="/srv/upload", config_name=CONFIG.name)
    session.commit()
    assert run.status == "running" and run.finished_at is None
    finish_run(session, run, status="ok", counts={"received": 3, "documents": 2, "findings": 5})
    session.commit()
    session.expire_all()
    stored = session.get(Run, run.id)
    assert stored is not None
    assert stored.status == "ok" and stored.counts == {"received": 3, "documents": 2, "findings": 5}
    assert stored.finished_at is not None


# --- JSON export ---------------------------------------------------------------------------


def test_export_follows_the_contract(
    session: Session, archive: RawArchive, run: Run, corrected: tuple[Document, Document], tmp_path: Path
) -> None:
    v1, v2 = corrected
    ingest(
        session,
        archive,
        run,
        b"u",
        plan_result(b"u", "upload/unknown.pdf", school=UNKNOWN, findings=[]),
        school=UNKNOWN,
    )
    ingest(
        session,
        archive,
        run,
        b"z1",
        annex1_result(b"z1", "mail/1.eml/附件1.xlsx", ZHONGZHI),
        school=ZHONGZHI,
        certificate=None,
    )
    save_school_findings(
        session,
        run=run,
        school=ZHONGZHI,
        findings=[
            Finding(
                rule="school.application_without_plan",
                severity=Severity.ERROR,
                message="新申报“智能财税”未提交试点方案",
            )
        ],
    )
    session.commit()

    path = tmp_path / "out" / "export.json"
    write_export(session, CONFIG, path)
    raw = path.read_text(encoding="utf-8")
    assert "长沙民政职业技术学院" in raw  # ensure_ascii=False
    export = ExportFile.model_validate_json(raw)
    assert json.loads(raw) == build_export(session, CONFIG).model_dump(mode="json")

    docs = {d.sha256: d for d in export.documents}
    assert len(docs) == 4
    old, new = docs[v1.sha256], docs[v2.sha256]
    assert (old.version, old.superseded_by) == (1, v2.sha256)
    assert (new.version, new.superseded_by) == (2, None)
    assert old.source == "upload/民政/老年照护.pdf"
    assert isinstance(new.data, PlanData) and new.data.funding.amount_wan == 1.5
    assert {f.rule for f in old.findings} == {FEE.rule, SEAL.rule, SESSIONS.rule}
    assert [f.rule for f in new.findings] == [UNKNOWN_CERT.rule, SEAL.rule, SESSIONS.rule]
    assert docs[hashlib.sha256(b"z1").hexdigest()].data == Annex1Data(
        school=ZHONGZHI, date=dt.date(2022, 4, 20)
    )

    # by school (code point order), then source, then version
    assert [(d.school, d.source, d.version) for d in export.documents] == [
        (UNKNOWN, "upload/unknown.pdf", 1),
        (ZHONGZHI, "mail/1.eml/附件1.xlsx", 1),
        (GAOZHI, "mail/0420.eml/老年照护方案（更正）.pdf", 2),
        (GAOZHI, "upload/民政/老年照护.pdf", 1),
    ]

    schools = {s.name: s for s in export.schools}
    assert set(schools) == {s.name for s in CONFIG.schools} | {UNKNOWN}
    assert (schools[ZHONGZHI].type, schools[ZHONGZHI].city, schools[ZHONGZHI].review_authority) == (
        "中职",
        "长沙市",
        "city",
    )
    assert schools[GAOZHI].review_authority == "province"
    assert [f.rule for f in schools[ZHONGZHI].findings] == ["school.application_without_plan"]
    # Off the round's list: a 中职 by its name, with no city in it, so the province reviews it.
    assert (schools[UNKNOWN].type, schools[UNKNOWN].review_authority, schools[UNKNOWN].findings) == (
        "中职",
        "province",
        [],
    )
    # A second export of the same database is byte-identical.
    write_export(session, CONFIG, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == raw


# --- exception report ----------------------------------------------------------------------


def test_exception_report(
    session: Session, archive: RawArchive, run: Run, corrected: tuple[Document, Document], tmp_path: Path
) -> None:
    v1, v2 = corrected
    ingest(
        session,
        archive,
        run,
        b"z1",
        annex1_result(b"z1", "mail/1.eml/附件1.xlsx", ZHONGZHI),
        school=ZHONGZHI,
        certificate=None,
    )
    save_school_findings(
        session,
        run=run,
        school=ZHONGZHI,
        findings=[
            Finding(
                rule="school.application_without_plan",
                severity=Severity.ERROR,
                message="新申报“智能财税”未提交试点方案",
            )
        ],
    )
    pending = archive.store(b"not processed yet")
    record_received_file(
        session, run=run, archived=pending, source="mail/3.eml/扫描件.jpg", received_at=RECEIVED
    )
    session.commit()

    summary = write_exception_report(session, CONFIG, tmp_path / "report.xlsx")
    # the file received but not processed yet is in the problem list too, as a warning
    assert (summary.open_findings, summary.errors, summary.warnings) == (6, 4, 2)
    assert (summary.current_documents, summary.superseded_documents, summary.corrections) == (2, 1, 1)
    assert summary.schools_with_findings == 2

    book = load_workbook(summary.path)
    assert book.sheetnames == ["问题清单", "汇总", "更正对比", "文件状态", "收件记录"]

    sheet = book["问题清单"]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "审核单位",
        "学校",
        "类型",
        "地市",
        "证书",
        "文件",
        "版本",
        "位置",
        "规则编号",
        "规则名称",
        "严重程度",
        "问题说明",
        "证据",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M7"
    assert all(c.font.bold for c in sheet[1])
    rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    # Current documents only (v1's still-open findings are not repeated), grouped by reviewing
    # authority (the province first, then each city bureau), then by school; a file not yet
    # processed last.
    assert [(r["学校"], r["文件"], r["版本"], r["规则编号"]) for r in rows] == [
        (GAOZHI, "mail/0420.eml/老年照护方案（更正）.pdf", 2, "plan.unknown_certificate"),
        (GAOZHI, "mail/0420.eml/老年照护方案（更正）.pdf", 2, "plan.seal_missing"),
        (GAOZHI, "mail/0420.eml/老年照护方案（更正）.pdf", 2, "plan.sessions_sum"),
        (ZHONGZHI, "（学校层面）", None, "school.application_without_plan"),
        (ZHONGZHI, "mail/1.eml/附件1.xlsx", 1, "annex1.seal_missing"),
        ("（未识别学校）", "mail/3.eml/扫描件.jpg", None, "review.manual_check"),
    ]
    assert [r[h] for r in rows[:1] for h in headers[:4]] == ["省教育厅", GAOZHI, "高职", "长沙市"]
    assert [rows[3][h] for h in headers[:4]] == ["长沙市教育局", ZHONGZHI, "中职", "长沙市"]
    # the Chinese name beside every registered rule id
    assert [r["规则名称"] for r in rows] == [
        REGISTRY[r["规则编号"]].description if r["规则编号"] in REGISTRY else None for r in rows
    ]
    assert rows[0]["规则名称"] == "证书不在本轮证书目录中"
    assert rows[-1]["规则名称"] == "未能完整自动检查，需人工核对"
    assert [r["证书"] for r in rows[:3]] == [CERT] * 3 and rows[3]["证书"] == "智能财税"
    assert [r["位置"] for r in rows] == ["第1页", "第2页", "第2页", "附件1新申报表", "第1页", "整个文件"]
    assert [r["严重程度"] for r in rows] == ["警告", "错误", "错误", "错误", "错误", "警告"]
    assert rows[2]["证据"] == "报考人数：45人"
    warning_cell, error_cell = sheet.cell(row=2, column=11), sheet.cell(row=3, column=11)
    assert warning_cell.fill.fgColor.rgb == WARNING_FILL.fgColor.rgb == "FFFFEB9C"
    assert error_cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb == "FFFFC7CE"
    assert (
        sheet.cell(row=2, column=12).alignment.wrap_text and sheet.cell(row=2, column=13).alignment.wrap_text
    )
    assert sheet.column_dimensions["L"].width >= 40 and sheet.column_dimensions["B"].width >= 15

    summary_sheet = [[c.value for c in row] for row in book["汇总"].iter_rows()]
    rule_rows = {
        r[0]: r
        for r in summary_sheet
        if r[0] and str(r[0]).startswith(("plan.", "annex1.", "school.", "review."))
    }
    assert rule_rows["plan.seal_missing"][2:4] == ["错误", 1]
    assert rule_rows["plan.unknown_certificate"][1:3] == ["证书不在本轮证书目录中", "警告"]
    assert ["合计", None, None, 6, None, None] in summary_sheet
    authority_at = summary_sheet.index(["审核单位", "学校数", "有错误的学校", "错误", "警告", None])
    province = sum(1 for s in CONFIG.schools if s.type != "中职")
    changsha = sum(1 for s in CONFIG.schools if s.type == "中职" and s.city == "长沙市")
    assert summary_sheet[authority_at + 1][:5] == ["省教育厅", province, 1, 2, 1]
    assert ["长沙市教育局", changsha, 1, 2, 0, None] in summary_sheet
    header_at = summary_sheet.index(["学校", "审核单位", "类型", "错误", "警告", "文件数"])
    # Most errors first; every configured school is listed, also those that sent nothing.
    assert [r[0] for r in summary_sheet[header_at + 1 : header_at + 3]] == [GAOZHI, ZHONGZHI]
    assert len(summary_sheet) - header_at - 1 == len(CONFIG.schools) + 1  # and the unidentified
    school_rows = {r[0]: r for r in summary_sheet if r[0] in {GAOZHI, ZHONGZHI}}
    assert school_rows[GAOZHI][1:] == ["省教育厅", "高职", 2, 1, 1]
    assert school_rows[ZHONGZHI][1:] == ["长沙市教育局", "中职", 2, 0, 1]

    corrections = book["更正对比"]
    assert corrections.freeze_panes == "A2" and corrections.auto_filter.ref == "A1:I2"
    correction = [c.value for c in corrections[2]]
    assert correction[0] == GAOZHI and correction[2] == "第1版 → 第2版"
    assert correction[3:6] == [1, 2, 1]
    # findings under their rule's Chinese name, never the rule id
    assert correction[6].startswith(REGISTRY["plan.no_fee_declaration"].description + "：")
    assert "plan.no_fee_declaration" not in correction[6]
    assert REGISTRY["plan.unknown_certificate"].description in correction[8]

    files = book["文件状态"]
    assert files.freeze_panes == "A2"
    file_headers = [c.value for c in files[1]]
    file_rows = {
        row["文件"]: row
        for row in (
            dict(zip(file_headers, (c.value for c in r), strict=True)) for r in files.iter_rows(min_row=2)
        )
    }
    old_row, new_row = (
        file_rows["upload/民政/老年照护.pdf"],
        file_rows["mail/0420.eml/老年照护方案（更正）.pdf"],
    )
    assert old_row["版本状态"] == "已被第2版替代" and new_row["版本状态"] == "当前版本"
    assert [new_row[h] for h in ("类别", "处理状态", "页数", "版本")] == ["试点方案", "正常", 3, 2]
    assert file_rows["mail/3.eml/扫描件.jpg"]["处理状态"] == "未处理"
    # no e-mail recorded these files: they came like uploads, whose receipt time nobody knows
    assert file_rows["mail/1.eml/附件1.xlsx"]["接收时间"] == "未知"
    assert old_row["未解决问题"] is None  # its open problems are counted on v2
    assert new_row["未解决问题"] == 3
    assert old_row["SHA-256"] == v1.sha256 and new_row["SHA-256"] == v2.sha256
    assert files.auto_filter.ref == "A1:K5"


def test_runs_starting_together_migrate_a_fresh_database_once(db_url: str) -> None:
    """Several processes' first runs at once: one migrates, the others wait and find it done."""
    engines = [make_engine(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            migrate(engine)
        except BaseException as error:  # collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert failures == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        with engines[0].connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
                head
            ]
    finally:
        for engine in engines:
            engine.dispose()
