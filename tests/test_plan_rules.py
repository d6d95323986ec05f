"""Each plan.* rule on tiny hand-made facts: it fires on the defect and stays quiet otherwise."""

import datetime as dt

import pytest

from checks import REGISTRY, run_rules
from schemas.document import FeeStatement, PlanFacts
from schemas.finding import Severity
from schemas.plan import Agreement, ExamPeriod, ExamSession, Facilities, Funding, PlanData, Teachers
from schemas.round_config import RoundConfig, load_round_config


@pytest.fixture(scope="module")
def config() -> RoundConfig:
    return load_round_config()


def clean_plan() -> PlanData:
    return PlanData(
        school="长沙民政职业技术学院",
        certificate="Web前端开发",
        level="中级",
        candidates=100,
        completed_2019_2021=20,
        exam_period=ExamPeriod(start=dt.date(2022, 10, 1), end=dt.date(2022, 11, 30)),
        sessions=[
            ExamSession(date=dt.date(2022, 10, 15), start="09:00", end="11:00", count=60),
            ExamSession(date=dt.date(2022, 11, 5), start="14:00", end="16:00", count=40),
        ],
        teachers=Teachers(certified="5名考评员", certified_count=5),
        facilities=Facilities(computer="机房2间"),
        funding=Funding(exam_fee_source="学校专项经费", amount_wan=3.6, no_student_fee_declared=True),
        agreement=Agreement(present=True, pages=[3], organization="工业和信息化部教育与考试中心"),
    )


def rules_for(data: PlanData, config: RoundConfig, **facts: object) -> set[str]:
    plan = PlanFacts(data=data, plan_pages=[1, 2], **facts)
    return {finding.rule for finding in run_rules("plan", plan, config)}


def test_clean_plan_raises_nothing(config: RoundConfig) -> None:
    assert rules_for(clean_plan(), config) == set()


def test_catalogue_ids_and_severities_are_registered() -> None:
    expected = {
        "plan.no_fee_declaration": Severity.ERROR,
        "plan.field_missing": Severity.ERROR,
        "plan.level_invalid": Severity.ERROR,
        "plan.unknown_certificate": Severity.WARNING,
        "plan.sessions_sum": Severity.ERROR,
        "plan.exam_outside_year": Severity.ERROR,
        "plan.session_outside_period": Severity.WARNING,
        "plan.multiple_certificates": Severity.ERROR,
        "plan.agreement_missing": Severity.ERROR,
        "file.empty": Severity.ERROR,
        "file.unreadable": Severity.ERROR,
        "file.encrypted": Severity.ERROR,
        "file.unsupported_format": Severity.ERROR,
    }
    assert {rule_id: REGISTRY[rule_id].severity for rule_id in expected} == expected


def test_no_fee_declaration_missing_and_contradicted(config: RoundConfig) -> None:
    data = clean_plan()
    data.funding.no_student_fee_declared = False
    assert rules_for(data, config) == {"plan.no_fee_declaration"}
    statement = FeeStatement(page=2, text="考核费用由学生自行承担。", polarity="contradiction")
    plan = PlanFacts(data=data, plan_pages=[1, 2], fee_statements=[statement])
    [finding] = run_rules("plan", plan, config)
    assert finding.page == 2
    assert finding.evidence == "考核费用由学生自行承担。"
    assert "不向学生收取任何培训、考核费用" in finding.message


def test_field_missing_names_each_field(config: RoundConfig) -> None:
    data = clean_plan()
    data.candidates = None
    data.funding.exam_fee_source = "  "
    plan = PlanFacts(data=data, plan_pages=[1])
    findings = [f for f in run_rules("plan", plan, config) if f.rule == "plan.field_missing"]
    messages = " ".join(f.message for f in findings)
    assert len(findings) == 2
    assert "报考人数" in messages
    assert "考核费用来源" in messages


def test_level_invalid(config: RoundConfig) -> None:
    data = clean_plan()
    data.level = "四级"
    assert rules_for(data, config) == {"plan.level_invalid"}


def test_unknown_certificate_suggests_the_closest(config: RoundConfig) -> None:
    data = clean_plan()
    data.certificate = "Web前段开发"
    plan = PlanFacts(data=data, plan_pages=[1])
    [finding] = run_rules("plan", plan, config)
    assert finding.rule == "plan.unknown_certificate"
    assert "Web前端开发" in finding.message
    data.certificate = "建筑信息模型(BIM)"  # an alias of the canonical name
    assert rules_for(data, config) == set()


def test_sessions_sum(config: RoundConfig) -> None:
    data = clean_plan()
    data.candidates = 120
    assert rules_for(data, config) == {"plan.sessions_sum"}


def test_exam_outside_year_and_outside_period(config: RoundConfig) -> None:
    data = clean_plan()
    data.sessions[1].date = dt.date(2023, 1, 5)
    assert rules_for(data, config) == {"plan.exam_outside_year", "plan.session_outside_period"}
    data = clean_plan()
    data.sessions[0].date = dt.date(2022, 9, 1)
    assert rules_for(data, config) == {"plan.session_outside_period"}


def test_multiple_certificates_and_agreement_missing(config: RoundConfig) -> None:
    data = clean_plan()
    assert rules_for(data, config, certificates_declared=["Web前端开发", "物流管理"]) == {
        "plan.multiple_certificates"
    }
    data.agreement = Agreement(present=False)
    assert rules_for(data, config) == {"plan.agreement_missing"}


def test_a_field_the_extractor_could_not_place_is_no_error(config: RoundConfig) -> None:
    data = clean_plan()
    data.candidates = None
    assert "plan.field_missing" in rules_for(data, config, field_states={"candidates": "absent"})
    assert "plan.field_missing" in rules_for(data, config, field_states={"candidates": "empty"})
    assert "plan.field_missing" not in rules_for(data, config, field_states={"candidates": "unplaced"})


def test_an_agreement_may_hide_on_unread_scanned_pages(config: RoundConfig) -> None:
    data = clean_plan()
    data.agreement = Agreement(present=False)
    assert "plan.agreement_missing" in rules_for(data, config)
    assert "plan.agreement_missing" not in rules_for(data, config, unread_pages=[3, 4])


def test_field_missing_names_the_field_in_the_reviewers_words(config: RoundConfig) -> None:
    data = clean_plan()
    data.funding.exam_fee_source = None
    plan = PlanFacts(data=data, plan_pages=[1], field_states={"funding.exam_fee_source": "empty"})
    [finding] = [f for f in run_rules("plan", plan, config) if f.rule == "plan.field_missing"]
    assert "考核费用来源" in finding.message and "funding" not in finding.message
