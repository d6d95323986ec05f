"""OCR's habitual misreadings set right, and names misread by a character mapped back."""

from __future__ import annotations

from checks import run_rules
from extractors.annex1.scanned import _batch_as_read, _cleaned
from extractors.normalize import misread_name, typed_school
from extractors.vision.engine import OcrWord
from extractors.vision.word_checks import digit_fixes, fixed_confusions
from schemas.annex1 import Annex1Data, NewApplicationRow
from schemas.round_config import load_round_config
from schemas.school import Annex1Summary, PlanSummary, SchoolFacts

VALID = ["2019年第一批", "2019年第二批", "2020年第一批", "2020年第二批", "2021年第一批", "2021年第二批"]


def test_letters_for_digits_and_one_for_a_dash() -> None:
    assert digit_fixes("2022-1i-06") == "2022-11-06"
    assert digit_fixes("1O月") == "10月"
    assert digit_fixes("08:00一12:00") == "08:00—12:00"
    assert digit_fixes("甲方〈试点院校〉") == "甲方（试点院校）"
    # Chinese text keeps its 一 and its letters.
    assert digit_fixes("一、基本信息") == "一、基本信息"
    assert digit_fixes("第一批 Web前端") == "第一批 Web前端"


def test_a_lone_one_between_numbers_is_a_dash() -> None:
    words = [
        OcrWord("08:00", 0, 0, 50, 10, 90),
        OcrWord("一", 52, 0, 60, 10, 90),
        OcrWord("12:00", 62, 0, 110, 10, 90),
    ]
    assert [w.text for w in fixed_confusions(words)] == ["08:00", "—", "12:00"]


def test_a_dot_between_chinese_characters_is_a_comma_and_a_speck_before_a_line_goes() -> None:
    line = [OcrWord(ch, 10 * i, 0, 10 * i + 9, 10, 95) for i, ch in enumerate(["教", "室", "．", "可", "容"])]
    assert "".join(w.text for w in fixed_confusions(line)) == "教室，可容"
    # After a number the dot is the number's: 1.5万元, an item's 1.
    numbered = [
        OcrWord("1", 0, 0, 5, 10, 95),
        OcrWord(".", 6, 0, 8, 10, 95),
        OcrWord("笔", 10, 0, 19, 10, 95),
    ]
    assert "".join(w.text for w in fixed_confusions(numbered)) == "1.笔"
    speck = [OcrWord(".", 0, 0, 3, 10, 95), OcrWord("英", 5, 0, 14, 10, 95), OcrWord("语", 15, 0, 24, 10, 95)]
    assert "".join(w.text for w in fixed_confusions(speck)) == "英语"


def test_misread_names_map_to_the_one_known_name() -> None:
    schools = ["麓山智能制造职业技术学院", "株洲健康职业技术学院"]
    assert misread_name("区山智能制造职业技术学院", schools) == "麓山智能制造职业技术学院"
    assert misread_name("等级: 初级\t幼儿照护", ["幼儿照护", "老年照护"]) == "幼儿照护"
    # Far from every known name, or as close to two: left as read.
    assert misread_name("失千老年人版护", ["失智老年人照护", "老年照护"]) is None
    assert misread_name("2020年批次", VALID, 0.75) is None


def test_ocr_batches_corrected_kept_or_left_to_a_person() -> None:
    doubts: list[str] = []
    assert _batch_as_read("2019年第一咎", VALID, doubts) == "2019年第一批"
    assert _batch_as_read("2020年批次", VALID, doubts) == "2020年批次"  # the school's own error
    assert _batch_as_read("<UL27咎条一二", VALID, doubts) is None
    assert len(doubts) == 1 and "<UL27咎条一二" in doubts[0]


def test_cells_lose_stray_marks_and_read_total_rows() -> None:
    assert _cleaned("”2021年第二批") == "2021年第二批"
    assert _cleaned("*2.1760") == "2.1760"
    assert _cleaned("台计") == "合计"
    assert _cleaned("(可加行)") == "(可加行)"


def test_an_ocr_school_name_gives_way_to_the_one_typed_in_the_path() -> None:
    path = "m.eml/舜德科技中等专业学校.zip/舜德科技中等专业学校院校试点信息统计表.pdf"
    assert typed_school("用德科技中等专业学校", path) == "舜德科技中等专业学校"
    assert typed_school("株洲健康职业技术学院", "uploads/scan.pdf") == "株洲健康职业技术学院"


def _school(read_by_ocr: bool, written: str) -> SchoolFacts:
    table = Annex1Data(new=[NewApplicationRow(certificate=written, level="中级", scale=30)])
    return SchoolFacts(
        school="楚天汽车工程职业学院",
        annex1=[Annex1Summary(source="a.pdf", data=table, read_by_ocr=read_by_ocr)],
        plans=[PlanSummary(source="p.pdf", certificate="失智老年人照护", level="中级", candidates=30)],
    )


def test_a_certificate_misread_on_a_scanned_attachment_1_is_the_plan_s() -> None:
    config = load_round_config()
    rules = {"school.application_without_plan", "school.plan_without_application"}
    assert not rules & {f.rule for f in run_rules("school", _school(True, "失千老年人版护"), config)}
    # Typed in a spreadsheet, the same difference is the school's: both findings stand.
    assert rules <= {f.rule for f in run_rules("school", _school(False, "失千老年人版护"), config)}
