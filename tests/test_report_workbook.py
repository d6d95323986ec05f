"""The exception report read back as a reviewer reads it (openpyxl), on SQLite and PostgreSQL.

A small round goes through the real rules and the real store: two e-mails from one school
(the second, after the deadline, corrects the first's Attachment 1; its subject carries a
control character), plan uploads (one with a control character in its name), a scan and an
empty file. The workbook must name every rule in Chinese beside its id, give every finding a
certificate where there is one and a location, name e-mails by sender, subject and date, show
every unchecked file in the problem list, fit every sheet to the page width, set row heights
that show whole messages, show an upload's receipt time as unknown, and carry no internal key
in any message; the export must carry none either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from checks import REGISTRY, check_document, check_school
from checks.file_rules import MANUAL_CHECK
from review.archive import RawArchive
from review.export_json import build_export, write_export
from review.mailbox import MessageIdentity, claim_message, record_archived, record_done
from review.models import MailMessage, ReceivedFile, Run
from review.report_xlsx import write_exception_report
from review.school_facts import gather_school_facts
from review.store import (
    get_or_create_school,
    record_received_file,
    save_document,
    save_school_findings,
    start_run,
    sync_schools,
)
from schemas.annex1 import Annex1Data, ExistingPilotRow, NewApplicationRow
from schemas.document import DocumentResult, Evidence, PlanFacts, ProcessingError
from schemas.export import ExportFile
from schemas.plan import ExamSession, Funding, PlanData
from schemas.round_config import load_round_config

CONFIG = load_round_config()
SCHOOL = "湖南铁道职业技术学院"  # 高职 in 株洲市: the province reviews it
CERT = "数字化管理会计"
FIRST_MAIL = "003-rfc2047-gbk-q.eml"
LATE_MAIL = "009-rfc2231-utf8-late.eml"
LATE_SUBJECT = "关于报送湖南铁道职院\x01试点信息统计表的函（更正）"
EQUALS_SUBJECT = '=HYPERLINK("http://example.com","点我")'
SENDER = "jwc@hnrpc.com"
HOSTILE_UPLOAD = f"{SCHOOL}/方案\x01副本.pdf"
TEXT_CELL = re.compile(r"^(?:问题说明|证据|说明|已更正的问题|仍存在的问题|新出现的问题|邮件问题)$")
RULE_ID = re.compile(r"[a-z0-9]+\.[a-z_]+")
FIELD_PATH = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILE_NAME = re.compile(
    r"[^\s/“”《》（）()：:]+\.(?:pdf|xlsx|xls|docx|doc|eml|zip|rar|jpg|jpeg|png)\b", re.IGNORECASE
)

# LibreOffice's measure of this report's fonts: a CJK character is about 1.55 column-width
# units wide and a wrapped line about 12.5 points high. A row lower than that cuts text off.
CJK_UNITS, LINE_POINTS = 1.55, 12.5


def internal_words(text: str) -> list[str]:
    """Rule-id-looking (plan.no_fee_declaration) and field-path-looking (exam_fee_source)
    words in a message, once e-mail addresses and file names (which may hold dots) are out."""
    cleaned = FILE_NAME.sub("", EMAIL.sub("", text))
    return RULE_ID.findall(cleaned) + FIELD_PATH.findall(cleaned)


def lines_needed(text: str, width: float, size: float = 11.0) -> int:
    usable = max(width * 11.0 / size - 1.0, 1.0)
    return sum(
        max(
            1,
            math.ceil(
                sum(CJK_UNITS if unicodedata.east_asian_width(c) in "WF" else 1 for c in part) / usable
            ),
        )
        for part in str(text).split("\n")
    )


def plan_result(content: bytes, source: str, *, declared: bool) -> DocumentResult:
    data = PlanData(
        school=SCHOOL,
        certificate=CERT,
        level="中级",
        candidates=45,
        sessions=[ExamSession(date=dt.date(2022, 10, 15), start="09:00", end="11:00", count=40)],
        funding=Funding(exam_fee_source="学校专项经费", amount_wan=1.5, no_student_fee_declared=declared),
    )
    return DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind="plan",
        page_count=3,
        plan=PlanFacts(
            data=data,
            plan_pages=[1, 2],
            evidence={"sessions": Evidence(page=2, text="2022年10月15日 40人")},
        ),
    )


def annex1_result(content: bytes, source: str, *, paid: float, unreadable: bool) -> DocumentResult:
    data = Annex1Data(
        school=SCHOOL,
        existing=[
            ExistingPilotRow(batch="2020年第一批", certificate="智能财税", level="初级", scale=30),
            ExistingPilotRow(
                batch="2021年第一批",
                certificate=CERT,
                level="初级",
                scale=40,
                fee_due_wan=2.43,
                fee_paid_wan=paid,
            ),
        ],
        new=[NewApplicationRow(certificate=CERT, level="中级", scale=45)],
    )
    errors = (
        [
            ProcessingError(
                component="annex1",
                code="annex1.value_unreadable",
                message="Sheet1第7行（试点规模）无法识别：约40",
            )
        ]
        if unreadable
        else []
    )
    return DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind="annex1",
        annex1=data,
        errors=errors,
        status="partial" if errors else "ok",
    )


def failed_result(content: bytes, source: str, code: str, message: str) -> DocumentResult:
    return DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind="plan",
        status="failed",
        errors=[ProcessingError(component="reader", code=code, message=message)],
    )


def store(
    session: Session, archive: RawArchive, run: Run, content: bytes, result: DocumentResult, **receipt: Any
) -> None:
    archived = archive.store(content)
    record_received_file(session, run=run, archived=archived, source=result.source, **receipt)
    result = result.model_copy(update={"findings": check_document(result, CONFIG)})
    save_document(
        session,
        result,
        run=run,
        school=SCHOOL,
        certificate=result.plan.data.certificate if result.plan else None,
    )


def mail(
    session: Session, archive: RawArchive, run: Run, name: str, subject: str, received: dt.datetime
) -> MailMessage:
    row_id = MessageIdentity(key=f"folder:{name}", name=name)
    claim_message(session, run=run, message=row_id)
    row = session.scalars(select(MailMessage).where(MailMessage.key == row_id.key)).one()
    raw = archive.store(f"Subject: {name}\r\n\r\n".encode())
    record_archived(
        session,
        row,
        sha256=raw.sha256,
        message_id=f"<{name}@hnrpc.com>",
        sender=SENDER,
        subject=subject,
        received_at=received,
        school=get_or_create_school(session, SCHOOL),
        school_evidence="发件人邮箱域名",
        attachment_count=1,
        problems=[],
        duplicate=False,
    )
    record_received_file(session, run=run, archived=raw, source=name, received_at=received, message_id=row.id)
    record_done(session, row.key)
    return row


@pytest.fixture
def round_db(session: Session, tmp_path: Path) -> Session:
    archive = RawArchive(tmp_path / "raw")
    sync_schools(session, CONFIG)
    run = start_run(session, source_root="test", config_name=CONFIG.name)
    on_time = dt.datetime(2022, 4, 20, 9, 30, tzinfo=dt.UTC)
    late = CONFIG.deadline + dt.timedelta(days=2)
    first = mail(session, archive, run, FIRST_MAIL, "关于报送湖南铁道职院1+X试点信息统计表的函", on_time)
    second = mail(session, archive, run, LATE_MAIL, LATE_SUBJECT, late)
    mail(session, archive, run, "010-formula.eml", EQUALS_SUBJECT, on_time)
    store(
        session,
        archive,
        run,
        b"annex1 v1",
        annex1_result(b"annex1 v1", f"{FIRST_MAIL}/附件1.xlsx", paid=2.63, unreadable=True),
        received_at=on_time,
        message_id=first.id,
    )
    store(
        session,
        archive,
        run,
        b"annex1 v2",
        annex1_result(b"annex1 v2", f"{LATE_MAIL}/附件1（更正）.xlsx", paid=2.43, unreadable=True),
        received_at=late,
        message_id=second.id,
    )
    upload = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)  # when it was processed, not received
    store(
        session,
        archive,
        run,
        b"plan",
        plan_result(b"plan", f"{SCHOOL}/{CERT}试点工作方案及合作协议.pdf", declared=False),
        received_at=upload,
    )
    store(
        session,
        archive,
        run,
        b"",
        failed_result(b"", HOSTILE_UPLOAD, "file.empty", "文件为0字节"),
        received_at=upload,
    )
    store(
        session,
        archive,
        run,
        b"scan",
        failed_result(
            b"scan",
            f"{SCHOOL}/扫描全能王 2022-04-24.pdf",
            "ocr.required",
            "PDF没有文字层（扫描件），需经OCR识别后才能自动检查，请人工审核",
        ),
        received_at=upload,
    )
    for facts in gather_school_facts(session, {s.name for s in CONFIG.schools}):
        save_school_findings(session, run=run, school=facts.school, findings=check_school(facts, CONFIG))
    session.commit()
    return session


def rows_of(sheet: Worksheet) -> list[dict[str, Any]]:
    headers = [cell.value for cell in sheet[1]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_problem_list_in_the_reviewers_words(round_db: Session, tmp_path: Path) -> None:
    book = load_workbook(write_exception_report(round_db, CONFIG, tmp_path / "report.xlsx").path)
    sheet = book["问题清单"]
    headers = [cell.value for cell in sheet[1]]
    assert headers.index("规则名称") == headers.index("规则编号") + 1
    assert {"证书", "位置", "文件"} <= set(headers)
    rows = rows_of(sheet)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_rule.setdefault(row["规则编号"], []).append(row)
        assert row["规则名称"] == REGISTRY[row["规则编号"]].description != ""
        assert row["位置"], row  # every finding says where to look
        assert ".eml" not in (row["文件"] or ""), row["文件"]
        assert ".eml" not in row["问题说明"], row["问题说明"]

    # the plan's findings: its certificate, and the page where the problem is
    fee = by_rule["plan.no_fee_declaration"][0]
    assert (fee["证书"], fee["位置"], fee["严重程度"]) == (CERT, "第1页", "错误")
    assert by_rule["plan.sessions_sum"][0]["位置"] == "第2页"
    # Attachment 1: the table's row, the certificate that row names, the e-mail by sender,
    # subject and date; the cell the reader could not read by sheet and row
    manual = by_rule[MANUAL_CHECK]
    table_note = next(r for r in manual if "Sheet1" in r["问题说明"])
    assert table_note["位置"] == "“Sheet1”第7行（试点规模）" and table_note["严重程度"] == "警告"
    assert "附件1（更正）.xlsx" in table_note["文件"] and SENDER in table_note["文件"]
    assert "关于报送湖南铁道职院␁试点信息统计表的函（更正）" in table_note["文件"]
    late = by_rule["school.late_submission"][0]
    assert (
        SENDER in late["问题说明"]
        and "《关于报送湖南铁道职院␁试点信息统计表的函（更正）》" in late["问题说明"]
    )
    assert "附件1（更正）.xlsx" in late["问题说明"] and late["位置"] == "邮件的接收时间"
    # the unchecked files are in the problem list, as warnings that say what a person must do
    scan = next(r for r in manual if "扫描全能王" in r["文件"])
    assert scan["位置"] == "整个文件" and "人工审核" in scan["问题说明"]
    empty = by_rule["file.empty"][0]
    assert empty["文件"] == f"{SCHOOL}/方案␁副本.pdf" and empty["严重程度"] == "错误"
    assert "请学校重新导出" in empty["问题说明"]

    for row in rows:
        for header in ("问题说明", "证据"):
            assert internal_words(row[header] or "") == [], (header, row[header])


def test_every_unchecked_file_is_in_the_problem_list_and_the_export(
    round_db: Session, tmp_path: Path
) -> None:
    book = load_workbook(write_exception_report(round_db, CONFIG, tmp_path / "report.xlsx").path)
    files = rows_of(book["文件状态"])
    listed = {row["文件"] for row in rows_of(book["问题清单"])}
    unchecked = [row for row in files if row["处理状态"] != "正常" and row["版本状态"] == "当前版本"]
    assert len(unchecked) >= 3
    for row in unchecked:
        assert row["文件"] in listed, row["文件"]
        assert row["说明"], row  # 文件状态 says why
        assert row["未解决问题"] >= 1
    export = build_export(round_db, CONFIG)
    for document in export.documents:
        if document.status != "ok" and document.superseded_by is None:
            assert document.findings, document.source


def test_files_sheet_receipt_times_and_mail_names(round_db: Session, tmp_path: Path) -> None:
    book = load_workbook(write_exception_report(round_db, CONFIG, tmp_path / "report.xlsx").path)
    files = rows_of(book["文件状态"])
    uploads = [r for r in files if r["文件"].startswith(SCHOOL)]
    mailed = [r for r in files if SENDER in r["文件"]]
    assert len(uploads) == 3 and {r["接收时间"] for r in uploads} == {"未知"}
    assert "2022-04-20 17:30" in {r["接收时间"] for r in mailed}  # Beijing time
    assert all(".eml" not in r["文件"] for r in files)
    assert next(r for r in files if "扫描全能王" in r["文件"])["处理状态"] == "扫描件，未识别"
    # the e-mail log keeps the mailbox file as a reference, and a subject that looks like a
    # formula stays text
    mail_sheet = book["收件记录"]
    subjects = {cell.value: cell for cell in mail_sheet["C"][1:]}
    assert EQUALS_SUBJECT in subjects and subjects[EQUALS_SUBJECT].data_type == "s"
    assert FIRST_MAIL in [cell.value for cell in mail_sheet["I"]]


def test_corrections_name_rules_in_chinese(round_db: Session, tmp_path: Path) -> None:
    book = load_workbook(write_exception_report(round_db, CONFIG, tmp_path / "report.xlsx").path)
    rows = rows_of(book["更正对比"])
    assert len(rows) == 1 and rows[0]["已更正"] == 1
    resolved = rows[0]["已更正的问题"]
    assert resolved.startswith(REGISTRY["annex1.fee_overpaid"].description + "：")
    for header in ("已更正的问题", "仍存在的问题", "新出现的问题"):
        for line in (rows[0][header] or "").splitlines():
            assert not RULE_ID.match(line) and internal_words(line) == [], line
    assert ".eml" not in rows[0]["文件"] and SENDER in rows[0]["文件"]


def test_every_sheet_prints_to_the_page_width_with_whole_rows(round_db: Session, tmp_path: Path) -> None:
    book = load_workbook(write_exception_report(round_db, CONFIG, tmp_path / "report.xlsx").path)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0), sheet.title
        checked = 0
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert not ILLEGAL_CHARACTERS_RE.search(str(cell.value))
                if not cell.alignment.wrap_text:
                    continue
                width = sheet.column_dimensions[cell.column_letter].width
                size = float(cell.font.sz or 11)
                needed = lines_needed(str(cell.value), width, size) * LINE_POINTS * size / 11
                height = sheet.row_dimensions[cell.row].height
                assert height is not None and height >= needed, (
                    sheet.title,
                    cell.coordinate,
                    cell.value,
                    height,
                )
                checked += 1
        assert checked, sheet.title
    for title in ("问题清单", "更正对比", "文件状态", "收件记录"):
        assert book[title].page_setup.orientation == "landscape"
        assert book[title].print_title_rows == "$1:$1"


def test_export_messages_carry_no_internal_keys_and_no_raw_control_characters(
    round_db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    write_export(round_db, CONFIG, path)
    raw = path.read_text(encoding="utf-8")
    assert "\\u0001" not in raw and "\x01" not in raw
    export = ExportFile.model_validate_json(raw)
    messages = [f.message for d in export.documents for f in d.findings]
    messages += [f.message for s in export.schools for f in s.findings]
    assert len(messages) >= 8
    for message in messages:
        assert internal_words(message) == [], message
    sources = {d.source for d in export.documents}
    assert f"{SCHOOL}/方案␁副本.pdf" in sources
    # the database and the archive keep what was received
    stored = {r.source for r in round_db.scalars(select(ReceivedFile))}
    assert HOSTILE_UPLOAD in stored
    assert (
        round_db.scalars(select(MailMessage.subject).where(MailMessage.name == LATE_MAIL)).one()
        == LATE_SUBJECT
    )
