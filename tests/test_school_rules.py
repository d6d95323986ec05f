"""The annex1.* and school.* rules on tiny hand-made facts, and who-sent-it matching."""

from __future__ import annotations

import datetime as dt

import pytest

from checks import check_school, run_rules
from extractors.schools import SchoolProfile, identify_school, school_in_text
from schemas.annex1 import Annex1Data, Annex1Seal, Annex1Signature, ExistingPilotRow, NewApplicationRow
from schemas.round_config import load_round_config
from schemas.school import Annex1Summary, PlanSummary, Receipt, SchoolFacts

CONFIG = load_round_config()
SCHOOL = "长沙民政职业技术学院"
BEIJING = dt.timezone(dt.timedelta(hours=8))


def annex1_rules(data: Annex1Data) -> list[str]:
    return [f.rule for f in run_rules("annex1", data, CONFIG)]


def existing(**values: object) -> ExistingPilotRow:
    row = {"batch": "2021年第一批", "certificate": "物流管理", "level": "中级", "scale": 50, "completed": 30}
    row.update({"fee_due_wan": 1.5, "fee_paid_wan": 1.5})
    row.update(values)
    return ExistingPilotRow.model_validate(row)


def test_clean_table_has_no_findings() -> None:
    rows = [
        existing(),
        existing(batch="2019年第二批", scale=20, completed=20, fee_due_wan=0.6, fee_paid_wan=0.6),
    ]
    total = ExistingPilotRow(scale=70, completed=50, fee_due_wan=2.1, fee_paid_wan=2.1)
    new = [NewApplicationRow(certificate="Web前端开发", level="初级", scale=40)]
    data = Annex1Data(
        school=SCHOOL, existing=rows, existing_total=total, new=new, new_total=NewApplicationRow(scale=40)
    )
    assert annex1_rules(data) == []


@pytest.mark.parametrize("batch", ["2018年第一批", "2022年第一批", "2019年第三批"])
def test_invalid_batch(batch: str) -> None:
    findings = run_rules("annex1", Annex1Data(existing=[existing(batch=batch)]), CONFIG)
    assert [f.rule for f in findings] == ["annex1.batch_invalid"]
    assert batch in findings[0].message and findings[0].evidence == batch


def test_totals_mismatch_names_the_column_and_both_sums() -> None:
    data = Annex1Data(
        existing=[existing(), existing(scale=30)],
        existing_total=ExistingPilotRow(scale=90, completed=60, fee_due_wan=3.0, fee_paid_wan=3.0),
        new=[NewApplicationRow(certificate="物流管理", level="初级", scale=10)],
        new_total=NewApplicationRow(scale=12),
    )
    findings = run_rules("annex1", data, CONFIG)
    assert [f.rule for f in findings] == ["annex1.totals_mismatch", "annex1.totals_mismatch"]
    assert "试点规模" in findings[0].message and "90" in findings[0].message and "80" in findings[0].message
    assert "申报规模" in findings[1].message


def test_money_totals_tolerate_float_rounding() -> None:
    rows = [existing(fee_due_wan=0.1, fee_paid_wan=0.1), existing(fee_due_wan=0.2, fee_paid_wan=0.2)]
    total = ExistingPilotRow(scale=100, completed=60, fee_due_wan=0.3, fee_paid_wan=0.3)
    assert annex1_rules(Annex1Data(existing=rows, existing_total=total)) == []


def test_fee_overpaid() -> None:
    data = Annex1Data(existing=[existing(fee_due_wan=1.2, fee_paid_wan=1.5), existing()])
    assert annex1_rules(data) == ["annex1.fee_overpaid"]


def test_vision_rules_wait_for_vision() -> None:
    assert annex1_rules(Annex1Data()) == []
    stamped_elsewhere = Annex1Data(
        school=SCHOOL,
        seal=Annex1Seal(present=True, institution="湖南铁道职业技术学院"),
        signature=Annex1Signature(present=False),
    )
    assert sorted(annex1_rules(stamped_elsewhere)) == ["annex1.seal_mismatch", "annex1.signature_missing"]
    assert annex1_rules(Annex1Data(seal=Annex1Seal(present=False))) == ["annex1.seal_missing"]


def facts(
    *, annex1: Annex1Data | None = None, plans: list[PlanSummary] | None = None, has_annex1: bool = True
) -> SchoolFacts:
    # The table as sent with its signed, stamped scan (a spreadsheet alone lacks both).
    summaries = [Annex1Summary(source="m.eml/附件1.pdf", data=annex1)] if has_annex1 else []
    return SchoolFacts(school=SCHOOL, annex1=summaries, plans=plans or [])


def plan(certificate: str, level: str = "初级", candidates: int = 40) -> PlanSummary:
    return PlanSummary(
        source=f"{certificate}.pdf", certificate=certificate, level=level, candidates=candidates
    )


def school_rules(school_facts: SchoolFacts) -> list[str]:
    return [f.rule for f in check_school(school_facts, CONFIG)]


def test_matching_school_is_clean_even_with_bracket_variants() -> None:
    table = Annex1Data(new=[NewApplicationRow(certificate="建筑信息模型(BIM)", level="中级", scale=40)])
    assert school_rules(facts(annex1=table, plans=[plan("建筑信息模型（BIM）", "中级")])) == []


def test_plans_without_any_annex1() -> None:
    assert school_rules(facts(plans=[plan("物流管理")], has_annex1=False)) == ["school.annex1_missing"]
    # A table that arrived but could not be read yet (a scan) is not missing.
    assert school_rules(facts(annex1=None, plans=[plan("物流管理")])) == []


def test_application_without_plan_and_plan_without_application() -> None:
    table = Annex1Data(new=[NewApplicationRow(certificate="物流管理", level="初级", scale=40)])
    findings = check_school(facts(annex1=table, plans=[plan("智能财税")]), CONFIG)
    assert sorted(f.rule for f in findings) == [
        "school.application_without_plan",
        "school.plan_without_application",
    ]
    [orphan] = [f for f in findings if f.rule == "school.plan_without_application"]
    assert orphan.document == "智能财税.pdf"


def test_plan_mismatch_level_and_candidates() -> None:
    table = Annex1Data(new=[NewApplicationRow(certificate="物流管理", level="中级", scale=45)])
    findings = check_school(facts(annex1=table, plans=[plan("物流管理", "初级", 40)]), CONFIG)
    assert [f.rule for f in findings] == ["school.plan_mismatch"]
    assert "初级" in findings[0].message and "45" in findings[0].message


def test_late_submission_uses_the_round_deadline() -> None:
    on_time = Receipt(source="a.eml/附件1.xlsx", received_at=dt.datetime(2022, 4, 28, 23, 0, tzinfo=BEIJING))
    late = Receipt(source="b.eml/附件1.xlsx", received_at=dt.datetime(2022, 4, 29, 0, 30, tzinfo=BEIJING))
    school_facts = SchoolFacts(school=SCHOOL, receipts=[on_time, late])
    findings = check_school(school_facts, CONFIG)
    assert [f.rule for f in findings] == ["school.late_submission"]
    assert findings[0].document == "b.eml/附件1.xlsx" and "2022年04月29日 00:30" in findings[0].message


def test_identify_school_prefers_the_table_then_domain_then_subject() -> None:
    match = identify_school(
        CONFIG, declared=["湖南铁道职业技术学院"], sender="x@csmzxy.edu.cn", subject="长沙民政职院"
    )
    assert match is not None and (match.name, match.via) == ("湖南铁道职业技术学院", "表内院校名称")
    match = identify_school(CONFIG, sender="Office@CSMZXY.edu.cn", subject="附件1")
    assert match is not None and match.name == "长沙民政职业技术学院" and match.via == "发件人邮箱域名"
    match = identify_school(CONFIG, sender="abc@qq.com", subject="湖南汽车职院1+X试点信息统计表")
    assert match is not None and match.name == "湖南汽车工程职业学院" and match.via == "邮件主题"
    match = identify_school(CONFIG, sender="abc@qq.com", file_names=["株洲工业中专-附件1.xlsx"])
    assert match is not None and match.name == "株洲市工业中等专业学校"


def test_identify_school_keeps_unknown_schools() -> None:
    match = identify_school(CONFIG, sender="a@163.com", subject="邵阳市某某职业技术学院试点统计表")
    assert match is not None and not match.known and match.name.endswith("职业技术学院")
    assert identify_school(CONFIG, sender="a@163.com", subject="统计表") is None
    # The words that lead into the name in a subject are not part of it.
    for subject in (
        "关于报送邵阳市某某职业技术学院1+X试点材料的函",
        "转发：我校邵阳市某某职业技术学院申报材料",
    ):
        match = identify_school(CONFIG, sender="a@163.com", subject=subject)
        assert match is not None and match.name == "邵阳市某某职业技术学院"


def test_longest_name_wins() -> None:
    assert school_in_text("湖南工程职业技术学院关于……", CONFIG) == "湖南工程职业技术学院"
    assert school_in_text("湖南工程学院 试点方案", CONFIG) == "湖南工程学院"


def test_a_plan_not_read_yet_may_be_the_one_a_row_asks_for() -> None:
    def school_rules(plans: list[PlanSummary]) -> set[str]:
        row = NewApplicationRow(certificate="Web前端开发", level="中级", scale=40)
        facts = SchoolFacts(
            school=SCHOOL,
            annex1=[Annex1Summary(source="a.eml/附件1.xlsx", data=Annex1Data(school=SCHOOL, new=[row]))],
            plans=plans,
        )
        return {f.rule for f in check_school(facts, CONFIG)}

    assert "school.application_without_plan" not in school_rules(
        [PlanSummary(source="民政/扫描全能王 2022-04-12.pdf")]
    )
    # Its name says another certificate: the row still has no plan.
    assert "school.application_without_plan" in school_rules(
        [PlanSummary(source="民政/物流管理（中级）方案.pdf")]
    )
    assert "school.application_without_plan" not in school_rules(
        [PlanSummary(source="民政/Web前端开发中级方案.pdf")]
    )


def test_an_upload_folder_names_its_school_even_off_the_list() -> None:
    match = identify_school(CONFIG, file_names=["舜德科技中等专业学校", "扫描全能王 2022-04-12.pdf"])
    assert match is not None and (match.name, match.known) == ("舜德科技中等专业学校", False)
    listed = identify_school(CONFIG, file_names=f"{SCHOOL}/CCI04252022_0022.pdf".split("/"))
    assert listed is not None and (listed.name, listed.known) == (SCHOOL, True)


def test_a_school_off_the_list_is_profiled_from_its_name() -> None:
    from extractors.schools import profile_from_name

    assert profile_from_name("邵阳市工业职业技术学院", CONFIG) == SchoolProfile("高职", "邵阳市", "province")
    city_school = profile_from_name("长沙市某某中等专业学校", CONFIG)
    assert (city_school.type, city_school.city, city_school.review_authority) == ("中职", "长沙市", "city")
    # A county school's city is not in its name: the province reviews it until a person says.
    assert profile_from_name("石门县机电职业技术学校", CONFIG) == SchoolProfile("中职", None, "province")
    assert profile_from_name("某培训中心", CONFIG) == SchoolProfile(None, None, "province")


def test_a_school_off_the_list_gets_a_warning() -> None:
    facts = SchoolFacts(school="舜德科技中等专业学校", known=False)
    [finding] = [f for f in check_school(facts, CONFIG) if f.rule == "school.not_in_round"]
    assert finding.severity == "warning" and "舜德科技中等专业学校" in finding.message
    assert "school.not_in_round" not in {f.rule for f in check_school(SchoolFacts(school=SCHOOL), CONFIG)}


def test_a_spreadsheet_sent_without_its_signed_scan_lacks_seal_and_signature() -> None:
    table = Annex1Data(new=[NewApplicationRow(certificate="物流管理", level="初级", scale=40)])
    alone = SchoolFacts(
        school=SCHOOL, annex1=[Annex1Summary(source="m.eml/附件1.xlsx", data=table)], plans=[plan("物流管理")]
    )
    findings = check_school(alone, CONFIG)
    assert sorted(f.rule for f in findings) == ["annex1.seal_missing", "annex1.signature_missing"]
    assert all(f.document == "m.eml/附件1.xlsx" and "扫描件" in f.message for f in findings)
    with_scan = alone.model_copy(
        update={"annex1": [*alone.annex1, Annex1Summary(source="n.eml/附件1（盖章）.jpg", read_by_ocr=True)]}
    )
    assert school_rules(with_scan) == []


def test_a_second_level_of_one_certificate_needs_its_own_plan() -> None:
    table = Annex1Data(
        new=[
            NewApplicationRow(certificate="界面设计", level="初级", scale=100),
            NewApplicationRow(certificate="界面设计", level="中级", scale=30),
        ]
    )
    findings = check_school(facts(annex1=table, plans=[plan("界面设计", "初级", 100)]), CONFIG)
    [hit] = [f for f in findings if f.rule == "school.application_without_plan"]
    assert "中级" in hit.message
    # Two plans, one per level: nothing missing.
    both = [plan("界面设计", "初级", 100), plan("界面设计", "中级", 30)]
    assert school_rules(facts(annex1=table, plans=both)) == []
    # A plan whose level could not be read may be either: no accusation.
    unknown = PlanSummary(source="界面设计.pdf", certificate="界面设计", level=None, candidates=100)
    assert "school.application_without_plan" not in school_rules(facts(annex1=table, plans=[unknown]))
