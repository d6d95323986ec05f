"""Which spreadsheets are Attachment 1 at all. A teachers' list, an exam timetable or a students'
list names 证书 and 等级 too; taken for an Attachment 1 it would hide the
``school.annex1_missing`` of a school that never sent its table. Such files are listed as
kind ``other`` (nothing received is invisible); a file titled as Attachment 1 whose tables
cannot be found stays an Attachment 1 for a reviewer."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from docx import Document
from test_annex1 import xlsx_file

from checks.school_rules import annex1_missing
from extractors.annex1 import extract_annex1_document, is_foreign_label, is_header_row
from extractors.plan_document import plan_extractor_for
from extractors.received import extract_received
from schemas.document import DocumentResult
from schemas.round_config import load_round_config
from schemas.school import Annex1Summary, PlanSummary, SchoolFacts

CONFIG = load_round_config()
EXTRACTOR = plan_extractor_for(CONFIG)

TEACHERS: list[list[Any]] = [
    ["1+X证书试点师资名单"],
    ["序号", "姓名", "性别", "职称", "证书名称", "证书等级"],
    [1, "刘敏", "女", "讲师", "物流管理", "中级"],
    [2, "陈军", "男", "副教授", "老年照护", "高级"],
]
TIMETABLE: list[list[Any]] = [
    ["2022年考核安排"],
    ["考核日期", "时间", "证书名称", "等级", "人数", "考场"],
    ["2022-06-18", "09:00-11:00", "物流管理", "中级", 40, "实训楼203"],
]
STUDENTS: list[list[Any]] = [
    ["学号", "班级", "报考证书", "级别", "规模"],
    ["2020123", "物流2班", "物流管理", "初级", 1],
]


def received(content: bytes, name: str) -> DocumentResult:
    return extract_received(
        content, source=f"m.eml/{name}", origin="mail", config=CONFIG, plan_extractor=EXTRACTOR
    )


@pytest.mark.parametrize("rows", [TEACHERS, TIMETABLE, STUDENTS], ids=["teachers", "timetable", "students"])
def test_other_tables_are_kind_other_and_listed(rows: list[list[Any]]) -> None:
    content = xlsx_file(rows)
    result = extract_annex1_document(content, source="名单.xlsx", config=CONFIG)
    assert (result.kind, result.annex1) == ("other", None)
    listed = received(content, "名单.xlsx")
    assert (listed.kind, listed.status, listed.errors, listed.annex1) == ("other", "ok", [], None)
    assert listed.sha256 and listed.source == "m.eml/名单.xlsx"


def test_other_table_named_as_attachment_1_keeps_a_note_for_the_reviewer() -> None:
    result = received(xlsx_file(TEACHERS), "附件1.xlsx")
    assert (result.kind, result.status, result.annex1) == ("other", "partial", None)
    [error] = result.errors
    assert error.code == "annex1.not_found" and "不是附件1" in error.message


def test_teachers_list_in_word_is_other() -> None:
    document = Document()
    document.add_paragraph("试点证书师资情况表")
    table = document.add_table(rows=2, cols=4)
    for c, text in enumerate(["姓名", "职称", "证书名称", "等级"]):
        table.cell(0, c).text = text
    for c, text in enumerate(["赵强", "讲师", "智能财税", "中级"]):
        table.cell(1, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    assert received(buffer.getvalue(), "师资.docx").kind == "other"


def test_titled_attachment_1_without_readable_tables_stays_attachment_1() -> None:
    content = xlsx_file([["附件1"], ["院校试点信息统计表"], ["（表格为扫描图片，见附件）"]])
    result = received(content, "统计表.xlsx")
    assert (result.kind, result.status, result.annex1) == ("annex1", "partial", None)
    assert [e.code for e in result.errors] == ["annex1.not_found"]


def test_attachment_1_with_a_teachers_list_on_another_sheet_reads_only_the_table() -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    for row in [["证书名称", "等级", "申报规模"], ["物流管理", "中级", 40]]:
        first.append(row)
    second = book.create_sheet("师资")
    for row in TEACHERS:
        second.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    result = received(buffer.getvalue(), "附件1.xlsx")
    assert result.kind == "annex1" and result.annex1 is not None
    assert [(r.certificate, r.scale) for r in result.annex1.new] == [("物流管理", 40)]


def test_foreign_labels_disqualify_a_header_row() -> None:
    assert is_header_row(["序号", "证书名称", "等级", "申报规模"])
    assert not is_header_row(["序号", "姓名", "证书名称", "等级"])
    assert not is_header_row(["考核日期", "时间", "证书名称", "等级", "人数"])
    # One schedule column added to a real table does not make it a timetable.
    assert is_header_row(["证书名称", "等级", "申报规模", "拟考核时间"])
    assert is_foreign_label("教师姓名") and is_foreign_label("考核时间")
    assert not is_foreign_label("试点规模（人）") and not is_foreign_label("备注")


def test_attachment_1_with_an_added_exam_time_column_is_still_attachment_1() -> None:
    rows: list[list[Any]] = [
        ["证书名称", "等级", "申报规模", "拟考核时间"],
        ["老年照护", "初级", 30, "2022年10月"],
    ]
    result = received(xlsx_file(rows), "统计表.xlsx")
    assert result.kind == "annex1" and result.annex1 is not None
    assert [(r.certificate, r.scale) for r in result.annex1.new] == [("老年照护", 30)]


def test_school_that_sent_only_a_teachers_list_gets_annex1_missing() -> None:
    # What the review database gathers: only kind "annex1" documents count as a table.
    result = received(xlsx_file(TEACHERS), "师资名单.xlsx")
    tables = [Annex1Summary(source=result.source, data=result.annex1)] if result.kind == "annex1" else []
    facts = SchoolFacts(
        school="长沙学院",
        known=True,
        plans=[
            PlanSummary(source="长沙学院/物流管理.pdf", certificate="物流管理", level="中级", candidates=40)
        ],
        annex1=tables,
    )
    assert [hit.evidence for hit in annex1_missing(facts, CONFIG)] == ["物流管理"]
