"""The school and contact named from Attachment 1 itself, wherever the school put them, and
even when the round file does not list the school (one writing in from off the list)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from test_annex1 import xlsx_file

from extractors.annex1 import extract_annex1_document, find_school, is_annex1_title
from schemas.annex1 import Annex1Data
from schemas.round_config import RoundConfig, load_round_config

# Not in the shipped round file: the reader cannot have it from the school list.
UNLISTED = "白沙洲信息工程职业学院"
TABLE: list[list[Any]] = [["证书名称", "等级", "申报规模"], ["物流管理", "中级", 40]]


@pytest.fixture(scope="module")
def config() -> RoundConfig:
    config = load_round_config()
    assert config.school(UNLISTED) is None
    return config


def read(rows: list[list[Any]], config: RoundConfig, merges: tuple[str, ...] = ()) -> Annex1Data:
    result = extract_annex1_document(xlsx_file(rows, merges), source="附件1.xlsx", config=config)
    assert result.annex1 is not None, result.errors
    return result.annex1


@pytest.mark.parametrize(
    ("heading", "merges"),
    [
        ([["院校名称", UNLISTED, None, None]], ("B1:D1",)),  # label cell, value in the next, no colon
        ([["学校名称", None, UNLISTED]], ()),
        ([[f"院校名称（盖章）：{UNLISTED}"]], ()),
        ([[f"填报单位：{UNLISTED}", None, "填报日期：2022年4月22日"]], ()),
        ([[f"{UNLISTED}院校试点信息统计表"]], ()),  # only in the title
        ([["附件1"], [f"2022年1+X证书试点信息统计表（{UNLISTED}）"]], ()),
    ],
)
def test_unlisted_school_is_named_from_its_own_table(
    heading: list[list[Any]], merges: tuple[str, ...], config: RoundConfig
) -> None:
    assert read([*heading, *TABLE], config, merges).school == UNLISTED


def test_listed_school_in_a_label_cell_is_canonical(config: RoundConfig) -> None:
    assert read([["院校名称", "长沙民政职院"], *TABLE], config).school == "长沙民政职业技术学院"


def test_title_without_a_school_names_none(config: RoundConfig) -> None:
    data = read([["附件1：院校试点信息统计表"], *TABLE], config)
    assert data.school is None


def test_unlisted_school_in_a_word_title(config: RoundConfig) -> None:
    document = Document()
    document.add_paragraph(f"{UNLISTED}院校试点信息统计表")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate(TABLE):
        for c, value in enumerate(row):
            table.cell(r, c).text = str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_annex1_document(buffer.getvalue(), source="附件1.docx", config=config)
    assert result.annex1 is not None and result.annex1.school == UNLISTED


@pytest.mark.parametrize(
    "heading",
    [
        [["院校试点负责人", "何静", "联系电话", "0731-22334455"]],
        [["试点工作负责人：何静", None, "手机：0731-22334455"]],
        [["联系人", "何静"], ["电话", "0731-22334455"]],
    ],
)
def test_contact_from_label_cells_or_the_pilot_lead_row(
    heading: list[list[Any]], config: RoundConfig
) -> None:
    data = read([["院校名称", UNLISTED], *heading, *TABLE], config)
    assert (data.contact.name, data.contact.phone) == ("何静", "0731-22334455")


def test_a_written_contact_wins_over_the_pilot_lead(config: RoundConfig) -> None:
    rows: list[list[Any]] = [
        ["院校试点负责人", "何静"],
        *TABLE,
        ["联系人：", "孙涛", "联系电话：", "13800138000"],
    ]
    data = read(rows, config)
    assert (data.contact.name, data.contact.phone) == ("孙涛", "13800138000")


def test_titles(config: RoundConfig) -> None:
    assert is_annex1_title("附件1：院校试点信息统计表")
    assert is_annex1_title("2022年1+X证书试点 信息统计表")
    assert not is_annex1_title("1+X证书试点师资名单")
    assert not is_annex1_title("试点教师信息表")
    assert find_school(["院校意见：同意申报"], config) == (None, None)
