"""Normalisation of what schools write: widths, dates, times, counts, amounts, names."""

import datetime as dt

import pytest

from extractors.normalize import (
    chinese_number,
    clean_line,
    closest,
    fold_width,
    match_key,
    parse_amount_wan,
    parse_count,
    parse_date,
    parse_time_range,
)


def test_fold_width_is_length_preserving() -> None:
    text = "报考人数：１２０人（ＢＩＭ）"
    assert fold_width(text) == "报考人数:120人(BIM)"
    assert len(fold_width(text)) == len(text)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2022年10月15日", dt.date(2022, 10, 15)),
        ("２０２２年１０月１５日", dt.date(2022, 10, 15)),
        ("二〇二二年十月十五日", dt.date(2022, 10, 15)),
        ("二〇二二年十二月三十一日", dt.date(2022, 12, 31)),
        ("2022.10.15", dt.date(2022, 10, 15)),
        ("2022-10-05", dt.date(2022, 10, 5)),
        ("2022/9/3", dt.date(2022, 9, 3)),
        ("2022 年 10 月 15 日", dt.date(2022, 10, 15)),
        # OCR reads the written year's 〇 as a letter or a digit.
        ("二O二二年九月二十四日", dt.date(2022, 9, 24)),
        ("二0二二年九月二十四日", dt.date(2022, 9, 24)),
        # OCR lost the dash between month and day.
        ("2022-0423", dt.date(2022, 4, 23)),
    ],
)
def test_parse_date_forms(written: str, expected: dt.date) -> None:
    assert parse_date(written) == expected


def test_date_without_year_needs_a_default_and_a_month_sign() -> None:
    assert parse_date("10月5日", default_year=2022) == dt.date(2022, 10, 5)
    assert parse_date("10月5日") is None
    assert parse_date("10.5", default_year=2022) is None  # a bare number pair is not a date


def test_impossible_date_is_not_a_date() -> None:
    assert parse_date("2022年2月30日") is None
    assert parse_date("2022-02-30") is None


@pytest.mark.parametrize(
    ("written", "date", "start"),
    [
        ("2022/11/269:00-11:00，计划考核：32人", dt.date(2022, 11, 26), "09:00"),
        ("2022/11/608:00~12:00，考核人数：40人", dt.date(2022, 11, 6), "08:00"),
        ("2022/12/39:00-12:00", dt.date(2022, 12, 3), "09:00"),
        ("2022/9/2414:00~18:00", dt.date(2022, 9, 24), "14:00"),
    ],
)
def test_a_time_run_into_its_date_is_split_where_both_are_valid(
    written: str, date: dt.date, start: str
) -> None:
    # OCR lost the space between the date and the time.
    assert parse_date(written) == date
    parsed = parse_time_range(written)
    assert parsed is not None and parsed[0] == start


@pytest.mark.parametrize(
    ("written", "start", "end"),
    [
        ("09:00-11:30", "09:00", "11:30"),
        ("９：００—１１：３０", "09:00", "11:30"),
        ("下午2:30至4:00", "14:30", "16:00"),
        ("上午9:00～11:00", "09:00", "11:00"),
        ("14时30分-16时", "14:30", "16:00"),
    ],
)
def test_parse_time_range(written: str, start: str, end: str) -> None:
    parsed = parse_time_range(written)
    assert parsed is not None
    assert parsed[:2] == (start, end)


def test_counts_and_amounts() -> None:
    assert parse_count("共40名") == 40
    assert parse_count("１２０人") == 120
    assert parse_count("无") is None
    assert parse_amount_wan("3.6万元") == 3.6
    assert parse_amount_wan("36,000 元") == 3.6
    assert parse_amount_wan("人民币６．２４万元".replace("．", ".")) == 6.24
    assert parse_amount_wan("未定") is None


def test_chinese_numbers() -> None:
    assert chinese_number("二〇二二") == 2022
    assert chinese_number("十") == 10
    assert chinese_number("十五") == 15
    assert chinese_number("二十") == 20
    assert chinese_number("三十一") == 31
    assert chinese_number("百") is None


def test_clean_line_removes_cjk_spaces_but_keeps_cell_gaps() -> None:
    assert clean_line("报 考 人 数 ： 120 人") == "报考人数：120人"
    assert clean_line("甲方（盖章）：\t乙方（盖章）：") == "甲方（盖章）：\t乙方（盖章）："
    # A space between Latin and CJK may be the school's own; name matching ignores it.
    assert clean_line("Web 前端开发") == "Web 前端开发"
    assert match_key("Web 前端开发") == match_key("Web前端开发")


def test_names_match_with_or_without_brackets() -> None:
    assert match_key("建筑信息模型（BIM）") == match_key("建筑信息模型(BIM)") == match_key("建筑信息模型BIM")
    best, similarity = closest("Web前段开发", ["Web前端开发", "物流管理"])
    assert best == "Web前端开发"
    assert similarity > 0.8


def test_a_scanned_school_name_whose_start_was_lost_is_the_one_typed_in_the_path() -> None:
    from extractors.normalize import typed_school

    path = "石门县机电职业技术学校/附件2：2022年特殊焊接技术职业技能等级证书试点工作方案.pdf"
    assert typed_school("业技术学校", path) == "石门县机电职业技术学校"
    assert typed_school("业技术学校", "别的文件夹/方案.pdf") == "业技术学校"  # nothing typed: as read
    assert typed_school("技校", path) == "技校"  # too little read to say


def test_a_certificate_written_without_its_bracketed_qualifier_is_that_certificate() -> None:
    from extractors.normalize import match_key, name_keys

    keys = name_keys(["汽车运用与维修（含智能新能源汽车）", "建筑信息模型（BIM）", "物流管理"])
    assert keys[match_key("汽车运用与维修")] == "汽车运用与维修（含智能新能源汽车）"
    assert keys[match_key("建筑信息模型")] == "建筑信息模型（BIM）"
    # A short form two names share, or one that is itself a name, stands for no other name.
    shared = name_keys(["网店运营（初级版）", "网店运营（推广版）", "物流管理（一）", "物流管理"])
    assert match_key("网店运营") not in shared
    assert shared[match_key("物流管理")] == "物流管理"
