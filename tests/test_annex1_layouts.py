"""Attachment 1 layouts the generator did not invent first: tiny hand-built workbooks (openpyxl)
with section labels in a merged vertical column, one header shared by both parts, two-row
headers, placeholder rows, notes and 合计 rows in odd places, zeros left blank."""

from __future__ import annotations

from typing import Any

import pytest
from test_annex1 import xlsx_file

from extractors.annex1 import (
    extract_annex1_document,
    find_bands,
    find_sections,
    is_placeholder,
    parse_count_cell,
    parse_money_cell,
)
from extractors.tables import Table, read_tables
from schemas.annex1 import Annex1Data, NewApplicationRow
from schemas.round_config import RoundConfig, load_round_config

EXISTING_HEADER = [
    "批次",
    "证书名称",
    "等级",
    "试点规模",
    "已完成考核人数",
    "应缴考核费（万元）",
    "已缴考核费（万元）",
]


@pytest.fixture(scope="module")
def config() -> RoundConfig:
    return load_round_config()


def read(rows: list[list[Any]], config: RoundConfig, merges: tuple[str, ...] = ()) -> Annex1Data:
    result = extract_annex1_document(xlsx_file(rows, merges), source="附件1.xlsx", config=config)
    assert result.kind == "annex1" and result.status == "ok", result.errors
    assert result.annex1 is not None
    return result.annex1


def existing_tuples(data: Annex1Data) -> list[tuple[Any, ...]]:
    return [
        (r.batch, r.certificate, r.level, r.scale, r.completed, r.fee_due_wan, r.fee_paid_wan)
        for r in data.existing
    ]


def new_tuples(data: Annex1Data) -> list[tuple[Any, ...]]:
    return [(r.certificate, r.level, r.scale) for r in data.new]


# ---- vertical section labels ------------------------------------------------------------------


def test_vertical_label_column_with_a_header_in_each_part(config: RoundConfig) -> None:
    # Column A merged down each part; the new part's three columns spread over the seven of the
    # existing part. Read as one table, the new rows would become existing pilots.
    rows: list[list[Any]] = [
        ["院校试点信息统计表"],
        ["现有试点情况", *EXISTING_HEADER],
        [None, "2020年第二批", "物流管理", "中级", 60, 60, 1.8, 1.8],
        [None, "2021年第一批", "老年照护", "初级", 40, 15, 1.2, 0.6],
        [None, "合计", None, None, 100, 75, 3.0, 2.4],
        ["本年度申报", "证书名称", None, None, "等级", None, "申报规模", None],
        [None, "智能财税", None, None, "初级", None, 50, None],
        [None, "幼儿照护", None, None, "中级", None, 30, None],
        [None, "合计", None, None, None, None, 80, None],
        ["联系人：周敏", None, None, "联系电话：13911112222"],
    ]
    merges = (
        "A2:A5",
        "A6:A9",
        "B6:D6",
        "E6:F6",
        "G6:H6",
        "B7:D7",
        "E7:F7",
        "G7:H7",
        "B8:D8",
        "E8:F8",
        "G8:H8",
    )
    data = read(rows, config, merges)
    assert existing_tuples(data) == [
        ("2020年第二批", "物流管理", "中级", 60, 60, 1.8, 1.8),
        ("2021年第一批", "老年照护", "初级", 40, 15, 1.2, 0.6),
    ]
    assert data.existing_total is not None and data.existing_total.scale == 100
    assert new_tuples(data) == [("智能财税", "初级", 50), ("幼儿照护", "中级", 30)]
    assert data.new_total == NewApplicationRow(scale=80)


def test_vertical_label_is_found_by_shape_whatever_its_wording(config: RoundConfig) -> None:
    # Labels that name neither part (第一部分/第二部分): the header of each span decides.
    rows: list[list[Any]] = [
        ["第一部分", "序号", *EXISTING_HEADER],
        [None, 1, "2019年第一批", "Web前端开发", "高级", 30, 30, 0.9, 0.9],
        ["第二部分", "序号", "证书名称", "等级", "拟申报人数"],
        [None, 1, "母婴护理", "初级", 45],
        [None, 2, "失智老年人照护", "中级", 25],
    ]
    content = xlsx_file(rows, ("A1:A2", "A3:A5"))
    table = read_tables(content).tables[0]
    assert [(band.top, band.bottom) for band in find_bands(table)] == [(0, 1), (2, 4)]
    data = read(rows, config, ("A1:A2", "A3:A5"))
    assert [r.certificate for r in data.existing] == ["Web前端开发"]
    assert new_tuples(data) == [("母婴护理", "初级", 45), ("失智老年人照护", "中级", 25)]


def test_one_header_shared_by_both_parts_beside_vertical_labels(config: RoundConfig) -> None:
    # 已\n有 written one character a line; the new rows leave 批次, 已完成 and the fees empty.
    rows: list[list[Any]] = [
        ["学校名称：", "湘中工贸职业学院"],
        ["试点类型", *EXISTING_HEADER],
        ["已\n有\n试\n点", "2021年第二批", "建筑信息模型(BIM)", "中级", 50, 20, 1.5, 1.5],
        [None, "2020年第一批", "物流管理", "初级", 40, 40, 1.2, 1.2],
        ["新\n增\n申\n报", None, "传感网应用开发", "初级", 35],
        [None, None, "网店运营推广", "中级", 20],
        [None, "小计", None, None, 55],
    ]
    data = read(rows, config, ("A3:A4", "A5:A7"))
    assert existing_tuples(data) == [
        ("2021年第二批", "建筑信息模型（BIM）", "中级", 50, 20, 1.5, 1.5),
        ("2020年第一批", "物流管理", "初级", 40, 40, 1.2, 1.2),
    ]
    assert data.existing[0].carryover == 30
    assert new_tuples(data) == [("传感网应用开发", "初级", 35), ("网店运营推广", "中级", 20)]
    assert data.new_total == NewApplicationRow(scale=55)
    assert data.existing_total is None


def test_a_certificate_repeated_down_the_first_column_is_no_section_label(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["证书名称", "等级", "申报规模"],
        ["老年照护", "初级", 40],
        ["老年照护", "中级", 20],
        ["老年照护", "高级", 10],
    ]
    table = read_tables(xlsx_file(rows)).tables[0]
    assert find_bands(table) == []
    assert new_tuples(read(rows, config)) == [
        ("老年照护", "初级", 40),
        ("老年照护", "中级", 20),
        ("老年照护", "高级", 10),
    ]


# ---- headers, placeholders, notes, totals -------------------------------------------------------


def test_two_row_headers_in_both_tables(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["一、已有试点情况"],
        ["批次", "证书名称", "等级", "规模（人）", "已考核人数", "考核费（万元）", None],
        [None, None, None, None, None, "应缴", "已缴"],
        ["2019 第二批", "老年照护", "初级", "30人", "30人", "0.9", "0.9"],
        ["二、拟申报试点情况"],
        ["序号", "申报证书", None, "申报规模"],
        [None, "名称", "级别", None],
        [1, "物流管理", "高", 60],
    ]
    merges = ("F2:G2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "B6:C6", "A6:A7", "D6:D7")
    data = read(rows, config, merges)
    assert existing_tuples(data) == [("2019年第二批", "老年照护", "初级", 30, 30, 0.9, 0.9)]
    assert new_tuples(data) == [("物流管理", "高级", 60)]


@pytest.mark.parametrize(
    "filler",
    [
        ["（可加行）", None, None, None, None, None, None],
        [None, "（可续行）", None, None, None, None, None],
        ["以下空白", "以下空白", "以下空白", "以下空白", "以下空白", "以下空白", "以下空白"],
        ["无", "无", "无", "无", "无", "无", "无"],
        ["—", "—", "—", "—", "—", "—", "—"],
        ["/", "/", None, "/", "/", "/", "/"],
        ["本校暂无已有试点", None, None, None, None, None, None],
        ["（行数不够可自行添加）", None, None, None, None, None, None],
    ],
)
def test_placeholder_rows_are_no_data(filler: list[Any], config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["已有试点情况"],
        EXISTING_HEADER,
        ["2021年第一批", "物流管理", "中级", 40, 10, 1.2, 1.2],
        filler,
        ["合计", None, None, 40, 10, 1.2, 1.2],
        ["新申报试点情况"],
        ["证书名称", "等级", "申报规模"],
        filler[:3],
        ["母婴护理", "初级", 30],
        filler[:3],
    ]
    data = read(rows, config)
    assert [r.certificate for r in data.existing] == ["物流管理"]
    assert data.existing_total is not None and data.existing_total.completed == 10
    assert new_tuples(data) == [("母婴护理", "初级", 30)]


def test_a_fee_column_that_lost_its_due_word_is_the_fee_due(config: RoundConfig) -> None:
    # OCR gave 应 to the cell before: 完成考核数应 | 支付考核费用（万元） | 已支付考核费用（万元）
    rows: list[list[Any]] = [
        ["已有试点信息"],
        [
            "试点批次",
            "试点证书",
            "等级",
            "试点规模（人）",
            "完成考核数应",
            "支付考核费用（万元）",
            "已支付考核费用（万元）",
        ],
        ["2021年第一批", "物流管理", "中级", 40, 10, 1.2, 0.6],
        ["合计", None, None, 40, 10, 1.2, 0.6],
    ]
    assert existing_tuples(read(rows, config)) == [("2021年第一批", "物流管理", "中级", 40, 10, 1.2, 0.6)]
    # Without an 已-fee column or the 应 beside it a bare fee label names nothing: which fee
    # it is stays untold.
    alone = [rows[0], [*rows[1][:4], "完成考核数", "支付考核费用（万元）"], [*rows[2][:5], 1.2]]
    assert [r.fee_due_wan for r in read(alone, config).existing] == [None]


def test_a_header_word_ocr_gave_to_the_label_before_is_moved_back(config: RoundConfig) -> None:
    # 已考核人数 read across its border: 试点规模已 | 考核人数
    rows: list[list[Any]] = [
        ["已有试点信息"],
        ["所属批次", "试点证书名称", "等级", "试点规模已", "考核人数", "应缴考核费", "已缴考核费"],
        ["2021年第一批", "物流管理", "中级", 150, 121, 4.2, 2.13],
    ]
    assert existing_tuples(read(rows, config)) == [("2021年第一批", "物流管理", "中级", 150, 121, 4.2, 2.13)]


def test_specks_read_as_short_scraps_across_a_row_are_no_pilot(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["已有试点情况"],
        EXISTING_HEADER,
        ["2020年第二批", "物流管理", "中级", 40, 10, 1.2, 1.2],
        [None, "1", "1", None, None, None, None],
        ["合计", None, None, 40, 10, 1.2, 1.2],
    ]
    assert [r.certificate for r in read(rows, config).existing] == ["物流管理"]


@pytest.mark.parametrize("remnant", ["批", "JFU", "·"])
def test_a_row_with_only_a_scrap_in_one_cell_is_no_pilot(remnant: str, config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["已有试点情况"],
        EXISTING_HEADER,
        ["2020年第二批", "物流管理", "中级", 40, 10, 1.2, 1.2],
        [remnant, None, None, None, None, None, None],
        ["合计", None, None, 40, 10, 1.2, 1.2],
    ]
    assert [r.certificate for r in read(rows, config).existing] == ["物流管理"]
    # A certificate alone is a pilot row the school left unfinished, kept for the rules.
    rows[3] = [None, "母婴护理", None, None, None, None, None]
    assert [r.certificate for r in read(rows, config).existing] == ["物流管理", "母婴护理"]


def test_placeholder_cells_and_values() -> None:
    for text in ("", "无", "—", "/", "（可加行）", "以下空白", "暂无", " 空 白 "):
        assert is_placeholder(text), text
    for text in ("物流管理", "2019年第一批", "50", "0", "(BIM)建筑信息模型"):
        assert not is_placeholder(text), text
    assert parse_count_cell("（可加行）") is None and parse_money_cell("以下空白") is None
    with pytest.raises(ValueError):
        parse_count_cell("约三十")


def test_notes_inside_the_table_and_a_total_at_the_top(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["已有试点情况"],
        EXISTING_HEADER,
        ["合计", None, None, 90, 70, 2.7, 2.1],
        ["2020年第二批", "Web前端开发", "中级", 50, 50, 1.5, 1.5],
        ["注：2021年批次未考完的名额结转至2022年"],
        ["2021年第二批", "智能财税", "初级", 40, 20, 1.2, 0.6],
        ["说明：考核费以万元计"],
        ["新申报试点情况"],
        ["证书名称", "等级", "申报规模"],
        ["工业机器人应用编程", "中级", 25],
        ["备注：本表由教务处填写"],
        ["院校意见：同意申报"],
    ]
    data = read(rows, config)
    assert [r.certificate for r in data.existing] == ["Web前端开发", "智能财税"]
    assert data.existing_total is not None and (
        data.existing_total.scale,
        data.existing_total.fee_paid_wan,
    ) == (90, 2.1)
    assert new_tuples(data) == [("工业机器人应用编程", "中级", 25)]


def test_rows_under_a_total_that_are_not_pilots_end_the_table(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["证书名称", "等级", "申报规模"],
        ["合计", None, 30],
        ["物流管理", "初级", 30],
        ["联系人：", "吴洋", "电话：", "13712345678"],
        ["院校意见：情况属实", None, None],
    ]
    data = read(rows, config)
    assert new_tuples(data) == [("物流管理", "初级", 30)]
    assert (data.contact.name, data.contact.phone) == ("吴洋", "13712345678")


def test_blank_completed_and_paid_read_as_zero_but_blank_due_stays_unknown(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        EXISTING_HEADER,
        ["2021年第一批", "老年照护", "初级", 60, None, 1.8, None],
        ["2021年第二批", "物流管理", "中级", 30, "—", None, "无"],
    ]
    data = read(rows, config)
    assert existing_tuples(data) == [
        ("2021年第一批", "老年照护", "初级", 60, 0, 1.8, 0.0),
        ("2021年第二批", "物流管理", "中级", 30, 0, None, 0.0),
    ]
    assert [r.carryover for r in data.existing] == [60, 30]


def test_sum_formula_over_placeholder_rows_is_computed(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["证书名称", "等级", "申报规模"],
        ["物流管理", "初级", 30],
        ["老年照护", "中级", 20],
        ["（可加行）", "无", "无"],
        ["合计", None, "=SUM(C2:C4)"],
    ]
    data = read(rows, config)
    assert data.new_total == NewApplicationRow(scale=50)
    assert len(data.new) == 2


def test_sections_of_a_masked_grid_keep_the_file_coordinates() -> None:
    rows: list[list[Any]] = [
        ["现有试点", "批次", "证书名称", "试点规模", "已完成考核人数"],
        ["现有试点", "2019年第一批", "物流管理", "20", "20"],
        ["新申报", "证书名称", "等级", "申报规模", ""],
        ["新申报", "老年照护", "初级", "30", ""],
    ]
    sections = find_sections(Table(rows=rows, sheet="S", index=0))
    assert [(s.kind, s.header_rows, s.columns.get("certificate")) for s in sections] == [
        ("existing", (0,), 2),
        ("new", (2,), 1),
    ]


def test_subtotals_per_batch_and_the_grand_total(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        EXISTING_HEADER,
        ["2020年第一批", "物流管理", "中级", 40, 40, 1.2, 1.2],
        ["2020年第一批", "老年照护", "初级", 20, 20, 0.6, 0.6],
        ["小计", None, None, 60, 60, 1.8, 1.8],
        ["2021年第二批", "智能财税", "初级", 30, 10, 0.9, 0.3],
        ["小计", None, None, 30, 10, 0.9, 0.3],
        ["总计", None, None, 90, 70, 2.7, 2.1],
    ]
    data = read(rows, config)
    assert [r.certificate for r in data.existing] == ["物流管理", "老年照护", "智能财税"]
    assert data.existing_total is not None
    assert (data.existing_total.scale, data.existing_total.fee_paid_wan) == (90, 2.1)
