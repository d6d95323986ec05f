"""The spreadsheet and the signed scan of one Attachment 1 compared: a row, a level or a number
that differs is a warning; what OCR could not read, or read a character off, is not."""

from __future__ import annotations

from checks import check_school
from checks.annex1_copies import differences
from schemas.annex1 import Annex1Data, NewApplicationRow
from schemas.round_config import load_round_config
from schemas.school import Annex1Summary, SchoolFacts

CONFIG = load_round_config()
SCHOOL = "长沙民政职业技术学院"


def table(*rows: tuple[str | None, str | None, int | None], total: int | None = None) -> Annex1Data:
    new = [NewApplicationRow(certificate=c, level=level, scale=scale) for c, level, scale in rows]
    return Annex1Data(school=SCHOOL, new=new, new_total=NewApplicationRow(scale=total) if total else None)


SENT = table(("老年照护", "初级", 40), ("物流管理", "中级", 30), total=70)


def test_the_same_table_twice_has_no_difference() -> None:
    assert (
        differences(SENT, table(("老年照护", "初级", 40), ("物流管理", "中级", 30), total=70), CONFIG) == []
    )


def test_a_misread_name_and_an_unread_cell_are_no_difference() -> None:
    scan = table(("老年照扩", "初级", None), ("物流管理", None, 30), total=70)
    assert differences(SENT, scan, CONFIG) == []


def test_a_level_a_number_and_a_row_that_differ_are_named() -> None:
    scan = table(("老年照护", "中级", 40), ("物流管理", "中级", 35), ("Web前端开发", "初级", 20), total=95)
    found = differences(SENT, scan, CONFIG)
    assert "新申报“老年照护”的等级：电子版为初级，扫描件为中级" in found
    assert "新申报“物流管理”的试点规模：电子版为30人，扫描件为35人" in found
    assert "新申报“Web前端开发”在扫描件中有，电子版中没有" in found
    assert "新申报合计：电子版为70人，扫描件为95人" in found
    missing = differences(SENT, table(("老年照护", "初级", 40), total=70), CONFIG)
    assert missing == ["新申报“物流管理”在电子版中有，扫描件中没有"]


def test_a_row_ocr_could_not_name_may_be_the_missing_one() -> None:
    scan = table(("老年照护", "初级", 40), (None, "中级", 30), total=70)
    assert differences(SENT, scan, CONFIG) == []


def test_the_school_rule_compares_the_latest_of_each_and_warns_on_the_scan() -> None:
    scan = table(("老年照护", "高级", 40), ("物流管理", "中级", 30), total=70)
    facts = SchoolFacts(
        school=SCHOOL,
        annex1=[
            Annex1Summary(source="a.eml/附件1.xlsx", data=SENT),
            Annex1Summary(source="a.eml/附件1（盖章）.pdf", data=scan, read_by_ocr=True),
        ],
    )
    [finding] = [f for f in check_school(facts, CONFIG) if f.rule == "annex1.copies_differ"]
    assert finding.severity == "warning" and finding.document == "a.eml/附件1（盖章）.pdf"
    assert "高级" in finding.message and "识别有误" in finding.message
    alone = facts.model_copy(update={"annex1": facts.annex1[1:]})
    assert not [f for f in check_school(alone, CONFIG) if f.rule == "annex1.copies_differ"]
