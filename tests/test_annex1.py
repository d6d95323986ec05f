"""Attachment 1: header finding on hand-written grids, value normalisation, carryover, the
file readers, bad inputs, and the round trip over generated files (exact match required)."""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from typing import Any

import openpyxl
import pytest
import xlwt
from docx import Document
from xlwt.CompoundDoc import XlsDoc

from extractors.annex1 import (
    carryover,
    certificate_lookup,
    extract_annex1_document,
    find_sections,
    header_field,
    normalise_batch,
    normalise_certificate,
    normalise_level,
    parse_annex1,
    parse_count_cell,
    parse_money_cell,
)
from extractors.tables import Table, TableFile, formula_value, number_text, read_tables
from fixtures.annex1 import ANNEX1_FORMATS, ANNEX1_VARIANTS, make_annex1_data, render_annex1
from schemas.annex1 import Annex1Data, ExistingPilotRow, NewApplicationRow
from schemas.round_config import RoundConfig, load_round_config


@pytest.fixture(scope="module")
def config() -> RoundConfig:
    return load_round_config()


def sheet_book(*grids: list[list[str]], text: str = "") -> TableFile:
    tables = [Table(rows=grid, sheet=f"Sheet{i + 1}", index=i) for i, grid in enumerate(grids)]
    return TableFile(format="xlsx", tables=tables, text=text)


# ---- header labels -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("批次", "batch"),
        ("批 次", "batch"),
        ("试 点 规 模", "scale"),
        ("试点规模（人）", "scale"),
        ("试点人数", "scale"),
        ("规模", "scale"),
        ("申报规模", "scale"),
        ("拟申报人数", "scale"),
        ("已完成考核人数", "completed"),
        ("已考核人数", "completed"),
        ("已完成", "completed"),
        ("应缴费用（万元）", "fee_due_wan"),
        ("应缴考核费\n(万元)", "fee_due_wan"),
        ("已缴纳考核费(万元)", "fee_paid_wan"),
        ("考核费（万元）已缴", "fee_paid_wan"),
        ("等级", "level"),
        ("级别", "level"),
        ("证书等级", "level"),
        ("职业技能等级证书名称", "certificate"),
        ("证书名称", "certificate"),
        ("序号", "seq"),
        ("院校名称", None),
        ("已有试点情况", None),
        ("填表说明：试点规模指获批人数", None),
        ("注：规模以人计", None),
        ("2019年第一批", None),
        ("物流管理", None),
    ],
)
def test_header_field(label: str, field: str | None) -> None:
    assert header_field(label) == field


def test_two_row_merged_header_spaced_labels_seq_total_and_notes(config: RoundConfig) -> None:
    # 考核费（万元） merged over 应缴/已缴; the other labels merged down two rows (filled in
    # every covered cell by the reader); letter-spaced labels; a blank row and a note row.
    grid = [
        ["附件1 院校试点信息统计表"] * 8,
        ["院校名称（盖章）：湖南铁道职业技术学院", "", "", "", "", "", "", ""],
        ["已有试点情况"] * 8,
        [
            "序号",
            "批 次",
            "证书名称",
            "级 别",
            "试 点 规 模",
            "已考核人数",
            "考核费（万元）",
            "考核费（万元）",
        ],
        ["序号", "批 次", "证书名称", "级 别", "试 点 规 模", "已考核人数", "应缴", "已缴"],
        ["1", "2019-1", "物流管理", "中级", "50人", "50", "1.5", "1.5"],
        ["", "", "", "", "", "", "", ""],
        ["2", "2021年第1批", "建筑信息模型(BIM)", "初级", "５０", "30 名", "15000元", "1万元"],
        ["注：考核费以万元为单位"] * 8,
        ["合计", "合计", "合计", "合计", "100", "80", "3", "2.5"],
        ["填表说明：本表须加盖公章"] * 8,
    ]
    parse = parse_annex1(sheet_book(grid), config)
    data = parse.data
    assert parse.problems == []
    assert data.school == "湖南铁道职业技术学院"
    assert [row.model_dump() for row in data.existing] == [
        ExistingPilotRow(
            batch="2019年第一批",
            certificate="物流管理",
            level="中级",
            scale=50,
            completed=50,
            fee_due_wan=1.5,
            fee_paid_wan=1.5,
            carryover=0,
        ).model_dump(),
        ExistingPilotRow(
            batch="2021年第一批",
            certificate="建筑信息模型（BIM）",
            level="初级",
            scale=50,
            completed=30,
            fee_due_wan=1.5,
            fee_paid_wan=1.0,
            carryover=20,
        ).model_dump(),
    ]
    assert data.existing_total == ExistingPilotRow(scale=100, completed=80, fee_due_wan=3.0, fee_paid_wan=2.5)
    assert data.new == [] and data.new_total is None
    assert parse.evidence["existing.0.batch"] == "Sheet1第6行（批 次）：2019-1"


def test_shuffled_columns_synonyms_yuan_header_and_stacked_tables(config: RoundConfig) -> None:
    grid = [
        ["学校名称：", "", "长沙民政职院"],
        ["证书", "批次", "等级", "人数", "已完成考核人数", "已缴考核费（元）", "应缴考核费（元）"],
        ["老年照护", "2020年第二批", "高级", "40", "40", "8000", "12000"],
        ["总计", "", "", "40", "40", "8000", "12000"],
        ["", "", "", "", "", "", ""],
        ["二、2022年新申报试点情况", "", "", "", "", "", ""],
        ["拟申报人数", "职业技能等级证书名称", "等级"],
        ["60", "智能财税职业技能等级证书", "中"],
        ["30 人", "区块链应用", "初级、中级"],
        ["90", "小计", ""],
        ["联系人：", "李明", "手机：13912345678"],
        ["主管领导签字：", "", "", "日期：", "2022-04-20"],
    ]
    parse = parse_annex1(sheet_book(grid), config)
    data = parse.data
    assert data.school == "长沙民政职业技术学院"
    assert data.existing == [
        ExistingPilotRow(
            batch="2020年第二批",
            certificate="老年照护",
            level="高级",
            scale=40,
            completed=40,
            fee_due_wan=1.2,
            fee_paid_wan=0.8,
            carryover=0,
        )
    ]
    assert data.existing_total == ExistingPilotRow(scale=40, completed=40, fee_due_wan=1.2, fee_paid_wan=0.8)
    assert data.new == [
        NewApplicationRow(certificate="智能财税", level="中级", scale=60),
        NewApplicationRow(certificate="区块链应用", level="初级、中级", scale=30),
    ]
    assert data.new_total == NewApplicationRow(scale=90)
    assert data.contact.name == "李明" and data.contact.phone == "13912345678"
    assert data.date == dt.date(2022, 4, 20)


def test_side_by_side_tables_under_group_captions(config: RoundConfig) -> None:
    grid = [
        [
            "序号",
            "已有试点情况",
            "已有试点情况",
            "已有试点情况",
            "已有试点情况",
            "2022年申报情况",
            "2022年申报情况",
        ],
        ["序号", "批次", "证书名称", "试点规模", "已完成考核人数", "证书名称", "申报规模"],
        ["1", "2021年第二批", "Web前端开发", "30", "10", "物流管理", "45"],
    ]
    sections = find_sections(Table(rows=grid, sheet="S", index=0))
    assert [section.kind for section in sections] == ["existing", "new"]
    data = parse_annex1(sheet_book(grid), config).data
    assert data.existing[0].certificate == "Web前端开发" and data.existing[0].carryover == 20
    assert data.new == [NewApplicationRow(certificate="物流管理", scale=45)]


def test_unreadable_cells_are_reported_not_guessed(config: RoundConfig) -> None:
    grid = [
        ["批次", "证书名称", "等级", "试点规模", "已完成考核人数", "应缴考核费", "已缴考核费"],
        ["2019年第一批", "物流管理", "中级", "约五十人", "20", "见附件", "1"],
    ]
    parse = parse_annex1(sheet_book(grid), config)
    assert parse.data.existing[0].scale is None and parse.data.existing[0].fee_due_wan is None
    assert len(parse.problems) == 2
    assert "约五十人" in parse.problems[0]


def test_school_contact_and_date_from_paragraph_text(config: RoundConfig) -> None:
    text = "附件1\n填报单位（盖章）：湖铁职院          填报日期：二〇二二年四月二十日\n联系人及电话：王芳 0731-84561234"
    data = parse_annex1(sheet_book([["证书名称", "申报规模"], ["物流管理", "50"]], text=text), config).data
    assert data.school == "湖南铁道职业技术学院"
    assert data.contact.name == "王芳" and data.contact.phone == "0731-84561234"
    assert data.date == dt.date(2022, 4, 20)
    assert data.signature.present is None and data.seal.present is None


# ---- values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "count"),
    [
        ("50", 50),
        ("50人", 50),
        ("50 名", 50),
        ("５０", 50),
        ("50.0", 50),
        ("五十人", 50),
        ("", None),
        ("/", None),
    ],
)
def test_parse_count_cell(written: str, count: int | None) -> None:
    assert parse_count_cell(written) == count


def test_parse_count_cell_rejects_text() -> None:
    with pytest.raises(ValueError):
        parse_count_cell("约五十")


@pytest.mark.parametrize(
    ("written", "yuan_header", "wan"),
    [
        ("1.2万元", False, 1.2),
        ("12000元", False, 1.2),
        ("12,000 元", False, 1.2),
        ("1.2", False, 1.2),
        ("１.５", False, 1.5),
        ("12000", True, 1.2),
        ("1.2万", True, 1.2),
        ("0", False, 0.0),
        ("—", False, None),
    ],
)
def test_parse_money_cell(written: str, yuan_header: bool, wan: float | None) -> None:
    assert parse_money_cell(written, header_says_yuan=yuan_header) == wan


@pytest.mark.parametrize(
    ("written", "batch"),
    [
        ("2019年第一批", "2019年第一批"),
        ("2019 第一批", "2019年第一批"),
        ("2019年第1批", "2019年第一批"),
        ("2019-1", "2019年第一批"),
        ("２０２１年第二批", "2021年第二批"),
        ("2020第二批次", "2020年第二批"),
        ("2019-02-01", "2019年第二批"),  # Excel made a date of 2019-2
        ("2019第三批", "2019第三批"),  # not a batch of the round: kept for the check to flag
        ("2018年第一批", "2018年第一批"),
        ("第一批", "第一批"),
        ("", None),
    ],
)
def test_normalise_batch(written: str, batch: str | None, config: RoundConfig) -> None:
    assert normalise_batch(written, config) == batch


def test_normalise_level_and_certificate(config: RoundConfig) -> None:
    assert normalise_level("中") == "中级"
    assert normalise_level("中级证书") == "中级"
    assert normalise_level("特级") == "特级"
    lookup = certificate_lookup(config)
    assert normalise_certificate("建筑信息模型(BIM)", lookup) == "建筑信息模型（BIM）"
    assert normalise_certificate("BIM", lookup) == "建筑信息模型（BIM）"
    assert normalise_certificate("物流管理职业技能等级证书", lookup) == "物流管理"
    assert normalise_certificate("区块链 应用", lookup) == "区块链应用"


def test_carryover(config: RoundConfig) -> None:
    assert carryover("2021年第一批", 50, 30, config) == 20
    assert carryover("2021年第二批", 50, 60, config) == 0
    assert carryover("2020年第一批", 50, 30, config) == 0
    assert carryover("2019年第二批", 50, None, config) == 0
    assert carryover("2018年第一批", 50, 30, config) is None
    assert carryover(None, 50, 30, config) is None


# ---- readers --------------------------------------------------------------------------------------


def test_number_text() -> None:
    assert number_text(120.0) == "120"
    assert number_text(1.5) == "1.5"
    assert number_text(0.1 + 0.2) == "0.3"


def xlsx_file(rows: list[list[Any]], merges: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for merged in merges:
        sheet.merge_cells(merged)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_merged_cells_numbers_dates_and_uncomputed_formulas(config: RoundConfig) -> None:
    content = xlsx_file(
        [
            ["新申报试点情况", None, None],
            ["证书名称", "等级", "申报规模"],
            ["物流管理", "中级", 120.0],
            ["老年照护", "初级", 35],
            ["合计", None, "=SUM(C3:C4)"],
            ["填报日期：", dt.datetime(2022, 4, 20)],
            ["比例", 1.5, "=C3/C4"],
        ],
        merges=("A1:C1",),
    )
    book = read_tables(content)
    table = book.tables[0]
    assert table.rows[0] == ["新申报试点情况"] * 3
    assert table.rows[2] == ["物流管理", "中级", "120"]
    assert table.rows[4][2] == "=SUM(C3:C4)" and (4, 2) in table.formulas
    assert formula_value(table, 4, 2) == 155.0
    assert formula_value(table, 6, 2) is None  # division is not computed: the parser ignores it
    assert table.rows[5][1] == "2022-04-20" and table.rows[6][1] == "1.5"
    data = parse_annex1(book, config).data
    assert data.new_total == NewApplicationRow(scale=155)
    assert data.date == dt.date(2022, 4, 20)


def test_docx_nested_tables_and_span_only_columns() -> None:
    document = Document()
    document.add_paragraph("院校名称（盖章）：常德职业技术学院")
    outer = document.add_table(rows=2, cols=4)
    for r in range(2):
        outer.cell(r, 0).merge(outer.cell(r, 1))  # every row spans columns 0-1
    outer.cell(0, 0).text, outer.cell(0, 2).text, outer.cell(0, 3).text = "证书名称", "等级", "申报规模"
    outer.cell(1, 0).text, outer.cell(1, 2).text, outer.cell(1, 3).text = "物流管理", "中级", "50"
    inner = outer.cell(1, 3).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "内", "表"
    buffer = io.BytesIO()
    document.save(buffer)
    book = read_tables(buffer.getvalue())
    assert book.format == "docx"
    assert book.tables[0].rows == [["证书名称", "等级", "申报规模"], ["物流管理", "中级", "50"]]
    assert book.tables[1].rows == [["内", "表"]]
    assert "院校名称（盖章）：常德职业技术学院" in book.text


def test_docx_one_table_holding_both_sections(config: RoundConfig) -> None:
    # The Word template with both parts in one table: the new-application part spans the
    # eight grid columns of the existing part with merged cells.
    document = Document()
    document.add_paragraph("学校名称（盖章）：永州职业技术学院")
    table = document.add_table(rows=8, cols=8)

    def put(row: int, column: int, text: str, last: int | None = None) -> None:
        cell = table.cell(row, column)
        if last is not None:
            cell = cell.merge(table.cell(row, last))
        cell.text = text

    put(0, 0, "一、已有试点情况", 7)
    labels = [
        "序号",
        "批次",
        "证书名称",
        "等级",
        "试点规模",
        "已完成考核人数",
        "应缴考核费（万元）",
        "已缴考核费（万元）",
    ]
    for column, text in enumerate(labels):
        put(1, column, text)
    for column, text in enumerate(["1", "2021年第一批", "老年照护", "初级", "60", "20", "1.8", "1.8"]):
        put(2, column, text)
    put(3, 0, "合计", 3)
    for column, text in zip(range(4, 8), ["60", "20", "1.8", "1.8"], strict=True):
        put(3, column, text)
    put(4, 0, "二、2022年拟申报试点情况", 7)
    for row, first, last, text in [
        (5, 0, 0, "序号"),
        (5, 1, 3, "证书名称"),
        (5, 4, 5, "等级"),
        (5, 6, 7, "拟申报人数"),
        (6, 0, 0, "1"),
        (6, 1, 3, "母婴护理"),
        (6, 4, 5, "中级"),
        (6, 6, 7, "80"),
        (7, 0, 5, "合计"),
        (7, 6, 7, "80"),
    ]:
        put(row, first, text, last)
    document.add_paragraph("联系人：赵磊    联系电话：13800001111")
    document.add_paragraph("主管领导签字：")
    document.add_paragraph("2022年4月25日")
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_annex1_document(buffer.getvalue(), source="附件1.docx", config=config)
    assert result.status == "ok" and result.annex1 is not None
    data = result.annex1
    assert data.school == "永州职业技术学院"
    assert data.existing[0].carryover == 40 and data.existing_total is not None
    assert data.new == [NewApplicationRow(certificate="母婴护理", level="中级", scale=80)]
    assert data.new_total == NewApplicationRow(scale=80)
    assert data.contact.phone == "13800001111" and data.date == dt.date(2022, 4, 25)


def test_xls_reads_merged_cells() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表1")
    sheet.write_merge(0, 0, 0, 2, "已有试点情况")
    sheet.write(1, 0, "证书名称")
    sheet.write(1, 1, 50.0)
    sheet.write(1, 2, 1.25)
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_tables(buffer.getvalue()).tables[0]
    assert table.rows == [["已有试点情况"] * 3, ["证书名称", "50", "1.25"]]


# ---- bad inputs -----------------------------------------------------------------------------------


def ole_file(stream_name: str, payload: bytes = b"\x00" * 5000) -> bytes:
    """A real compound file (written by xlwt's CFB writer) whose one stream is renamed, so it is
    what a .doc (WordDocument) or a password-protected .xlsx (EncryptionInfo) looks like from
    the outside. Same-length directory entry, so the container stays valid."""
    buffer = io.BytesIO()
    XlsDoc().save(buffer, payload)
    content = buffer.getvalue()
    old_name = "Workbook\x00".encode("utf-16-le")
    old_entry = old_name.ljust(64, b"\x00") + struct.pack("<H", len(old_name))
    new_name = f"{stream_name}\x00".encode("utf-16-le")
    new_entry = new_name.ljust(64, b"\x00") + struct.pack("<H", len(new_name))
    assert content.count(old_entry) == 1
    return content.replace(old_entry, new_entry)


def _generated(config: RoundConfig, fmt: str, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    new = [NewApplicationRow(certificate="物流管理", level="中级", scale=40)]
    return render_annex1(make_annex1_data(rng, "岳阳职业技术学院", config, new, "clean"), rng, fmt)


def _failure(content: bytes, config: RoundConfig) -> tuple[str, str, str]:
    result = extract_annex1_document(content, source="附件1.xlsx", config=config)
    assert result.kind == "annex1"
    assert len(result.errors) == 1
    return result.status, result.errors[0].code, result.errors[0].message


@pytest.mark.parametrize("fmt", ANNEX1_FORMATS)
def test_empty_and_truncated_files(fmt: str, config: RoundConfig) -> None:
    assert _failure(b"", config)[:2] == ("failed", "file.empty")
    content = _generated(config, fmt)
    status, code, _ = _failure(content[: len(content) // 2], config)
    assert (status, code) == ("failed", "file.unreadable")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (ole_file("WordDocument"), ".doc"),
        (ole_file("PowerPoint Document"), "PowerPoint"),
        (b"Rar!\x1a\x07\x00" + bytes(range(256)) * 4, "RAR"),
        (random.Random(3).randbytes(4096), "无法识别"),
    ],
)
def test_unsupported_formats_say_what_to_resend(content: bytes, named: str, config: RoundConfig) -> None:
    status, code, message = _failure(content, config)
    assert (status, code) == ("failed", "file.unsupported_format")
    assert named in message and ".xlsx" in message and ".docx" in message


def test_zip_that_is_no_office_file_is_unsupported(config: RoundConfig) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("附件1.xlsx", b"...")
    status, code, message = _failure(buffer.getvalue(), config)
    assert (status, code) == ("failed", "file.unsupported_format") and "ZIP" in message


def test_encrypted_office_container(config: RoundConfig) -> None:
    # An OLE container with an EncryptionInfo stream is how Office stores a password-protected
    # .xlsx/.docx; this one is built by renaming a stream, not by Excel's encryption.
    status, code, _ = _failure(ole_file("EncryptionInfo"), config)
    assert (status, code) == ("failed", "file.encrypted")


def test_readable_file_without_attachment_1_is_another_kind_of_file(config: RoundConfig) -> None:
    result = extract_annex1_document(
        xlsx_file([["姓名", "成绩"], ["张三", 90]]), source="成绩.xlsx", config=config
    )
    assert (result.kind, result.status, result.annex1) == ("other", "partial", None)
    assert [error.code for error in result.errors] == ["annex1.not_found"]


# ---- round trip over generated files -----------------------------------------------------------------


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list):
        out = {f"{path}.#": len(value)}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{path}.{index}"))
        return out
    return {path: value}


def _generate(config: RoundConfig, fmt: str, variant: str, seed: int) -> tuple[Annex1Data, bytes]:
    rng = random.Random(f"annex1-{fmt}-{variant}-{seed}")
    school = rng.choice(config.schools).name
    certificates = rng.sample(config.certificate_names(), rng.randint(1, 5))
    new_rows = [
        NewApplicationRow(
            certificate=name, level=rng.choice(("初级", "中级", "高级")), scale=rng.randint(20, 160)
        )
        for name in certificates
    ]
    data = make_annex1_data(rng, school, config, new_rows, variant)
    return data, render_annex1(data, rng, fmt)


@pytest.mark.parametrize("variant", ANNEX1_VARIANTS)
@pytest.mark.parametrize("fmt", ANNEX1_FORMATS)
def test_round_trip(fmt: str, variant: str, config: RoundConfig) -> None:
    for seed in range(3):
        data, content = _generate(config, fmt, variant, seed)
        result = extract_annex1_document(content, source=f"附件1.{fmt}", config=config)
        assert result.status == "ok", result.errors
        assert result.annex1 is not None
        assert result.annex1.model_dump() == data.model_dump(), (fmt, variant, seed)


def test_variants_break_what_they_say(config: RoundConfig) -> None:
    for seed in range(10):
        data, _ = _generate(config, "xlsx", "batch_invalid", seed)
        assert any(row.batch not in config.valid_batches for row in data.existing)
        data, _ = _generate(config, "xlsx", "fee_overpaid", seed)
        assert any((row.fee_paid_wan or 0) > (row.fee_due_wan or 0) for row in data.existing)
        data, _ = _generate(config, "xlsx", "totals_mismatch", seed)
        existing_sum = sum(row.scale or 0 for row in data.existing)
        new_sum = sum(row.scale or 0 for row in data.new)
        assert data.existing_total is not None and data.new_total is not None
        mismatched = (
            data.existing_total.scale != existing_sum
            or data.existing_total.completed != sum(row.completed or 0 for row in data.existing)
            or data.existing_total.fee_due_wan != round(sum(row.fee_due_wan or 0 for row in data.existing), 2)
            or data.new_total.scale != new_sum
        )
        assert mismatched
        data, _ = _generate(config, "xlsx", "clean", seed)
        assert all(row.batch in config.valid_batches for row in data.existing)
        assert data.date is not None and data.date.month == 4


def test_cell_accuracy_on_unseen_generated_files(config: RoundConfig) -> None:
    matched = total = files = exact = 0
    for index in range(60):
        fmt = ANNEX1_FORMATS[index % len(ANNEX1_FORMATS)]
        variant = ANNEX1_VARIANTS[(index // len(ANNEX1_FORMATS)) % len(ANNEX1_VARIANTS)]
        data, content = _generate(config, fmt, variant, 1000 + index)
        result = extract_annex1_document(content, source=f"unseen.{fmt}", config=config)
        truth = _leaves(data.model_dump(mode="json"))
        read = _leaves(result.annex1.model_dump(mode="json")) if result.annex1 else {}
        keys = set(truth) | set(read)
        matched += sum(truth.get(key) == read.get(key) for key in keys)
        total += len(keys)
        files += 1
        exact += truth == read
    accuracy = matched / total
    assert accuracy == 1.0, (
        f"cell accuracy {accuracy:.4%} ({matched}/{total} cells, {exact}/{files} files exact)"
    )
    print(f"Attachment 1 cell accuracy {accuracy:.2%} ({matched}/{total} cells, {exact}/{files} files exact)")


def test_hand_made_table_with_other_wording(config: RoundConfig) -> None:
    """Not from the generator: labels, units and layout as one school wrote them by hand."""
    content = xlsx_file(
        [
            ["附件1"],
            ["湖南省2022年1+X证书制度试点院校信息统计表"],
            ["学校名称（公章）：湘潭医卫职业技术学院", None, None, "填报人：李四", None, "联系电话：13907310000"],
            ["一、已有试点情况"],
            ["序号", "试点批次", "试点证书名称", "证书等级", "已试点人数", "已考核人数", "应缴纳考核费用（万元）", "实缴费用(万元)", "备注"],
            [1, "2020年第二批", "老年照护", "初级", "60人", "60人", 1.8, 1.8, None],
            [2, "2021年第一批", "母婴护理", "中级", 40, 25, "1.6万元", 1.0, "部分未考"],
            ["合 计", None, None, None, 100, 85, 3.4, 2.8, None],
            [None],
            ["二、2022年新申报试点情况"],
            ["序号", "证书名称", "等级", "拟申报规模（人）"],
            [1, "幼儿照护", "初级", 50],
            [2, "失智老年人照护", "中级", 30],
            ["合计", None, None, 80],
            ["主管校领导签字：", None, None, "日期：2022年4月20日"],
        ]
    )  # fmt: skip
    result = extract_annex1_document(content, source="附件1.xlsx", config=config)
    assert result.status == "ok" and result.annex1 is not None
    data = result.annex1
    assert (data.school, data.contact.name, data.contact.phone) == (
        "湘潭医卫职业技术学院",
        "李四",
        "13907310000",
    )
    assert [(r.batch, r.scale, r.completed, r.fee_due_wan, r.carryover) for r in data.existing] == [
        ("2020年第二批", 60, 60, 1.8, 0),
        ("2021年第一批", 40, 25, 1.6, 15),
    ]
    assert data.existing_total is not None and data.existing_total.fee_paid_wan == 2.8
    assert [(r.certificate, r.level, r.scale) for r in data.new] == [
        ("幼儿照护", "初级", 50),
        ("失智老年人照护", "中级", 30),
    ]
    assert data.new_total is not None and data.new_total.scale == 80
    assert data.date == dt.date(2022, 4, 20)


def test_hand_made_two_row_merged_header_with_abbreviated_school(config: RoundConfig) -> None:
    content = xlsx_file(
        [
            ["院校试点信息统计表"],
            ["院校名称：长沙民政职院（盖章）"],
            ["已有试点情况", None, None, None, None, None, None],
            ["批次", "证书", "级别", "试点人数", "已完成考核", "考核费（万元）", None],
            [None, None, None, None, None, "应缴", "已缴"],
            ["2019年第1批", "Web前端开发", "中级", "３０", "30", "0.9", "0.9"],
            ["2021-2", "建筑信息模型(BIM)", "初级", "50", "10", "1.5", "1.5"],
            ["合计", None, None, "80", "40", "2.4", "2.4"],
            [],
            ["新申报情况"],
            ["证书名称", "等级", "规模"],
            ["物流管理", "高级", "40"],
            ["合计", None, "40"],
            ["联系人：王五    联系电话：0731-88888888"],
        ],
        merges=("A3:G3", "F4:G4", "A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:E5"),
    )
    result = extract_annex1_document(content, source="附件1.xlsx", config=config)
    assert result.status == "ok" and result.annex1 is not None
    data = result.annex1
    assert data.school == "长沙民政职业技术学院" and data.contact.name == "王五"
    assert [(r.batch, r.certificate, r.scale, r.fee_paid_wan, r.carryover) for r in data.existing] == [
        ("2019年第一批", "Web前端开发", 30, 0.9, 0),
        ("2021年第二批", "建筑信息模型（BIM）", 50, 1.5, 40),
    ]
    assert [(r.certificate, r.level, r.scale) for r in data.new] == [("物流管理", "高级", 40)]
