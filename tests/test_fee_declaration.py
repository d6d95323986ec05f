"""The no-student-fee declaration read as a reviewer reads it: only an affirmative,
unconditional statement covering both the training and the exam fee counts; weakened, partial,
conditional, negated and contradicted ones are quoted back; the agreement's clauses are not the
plan's declaration."""

import re

import pytest

from checks import run_rules
from extractors.fee_declaration import (
    FeeStatementMatch,
    explain,
    find_fee_statements,
    no_student_fee_declared,
    shortfall,
    statement_fact,
    worst_statement,
)
from schemas.document import PlanFacts
from schemas.plan import Agreement, PlanData
from schemas.round_config import RoundConfig, load_round_config


def declared(text: str) -> bool:
    return no_student_fee_declared(find_fee_statements(text))


def worst(text: str) -> FeeStatementMatch:
    statement = worst_statement(find_fee_statements(text))
    assert statement is not None, text
    return statement


# ---- affirmative declarations, one per way of putting it ----------------------------------

DECLARED = [
    "不向学生收取任何培训、考核费用。",  # the notice's words
    "试点期间不向学生收取任何培训和考核费用。",  # a time frame and 和 for 、
    "坚持公益性原则，不向学生收取任何培训、考核费用。",  # 原则 is not 原则上
    "严禁以任何名义向参训学生收取培训费、考核费。",
    "不收取学生任何费用。",  # students as object of 收取, every fee
    "学生不承担任何培训及考核费用。",  # students as subject
    "学生参加培训和考核不缴纳任何费用。",
    "全部费用由学校承担，学生无需缴纳任何费用。",
    "培训、考核费用均不向学生收取。",  # the fee named first
    "培训、考核费用，均不向学生收取。",  # ... in the clause before
    "培训和考核费用一律不由学生承担。",
    "学生免费参加证书培训和考核。",
    "免费为学生提供培训和考核。",
    "培训和考核对学生全部免费。",
    "考核费用由学校承担，不向学生收取任何费用。",  # 任何费用 is not limited by the clause before
    "培训及考核费用全部由学校承担。",  # the school bearing all of both
    "我校不收取任何培训、考核费用。",  # the students left implicit
    "不向学生收取培训费用，也不向学生收取考核费用。",  # two firm statements, together both fees
    "不向学生收取任何培训，考核费用。",  # a comma for 、
    "是否向学生收取培训、考核费用：否",  # a form's row
    "不向学生收取任何培训、考\n核费用",  # wrapped across lines
    "本项目不 向 学 生 收 取 任何培训、考核费用。",  # stray PDF spaces
    "不向学生收取任何培训、考核费用，学生往返交通费用自理。",  # travel is outside the rule
    "学生个人缴费：0元。不向学生收取任何培训、考核费用。",  # a zero is not a charge
]


@pytest.mark.parametrize("text", DECLARED)
def test_affirmative_declarations_count(text: str) -> None:
    assert declared(text), find_fee_statements(text)


# Words that look like hedges or conditions but are not.
NOT_QUALIFIED = [
    "经费来源为一般公共预算，不向学生收取任何培训、考核费用。",  # 一般 in a fund's name
    "根据《试点经费管理暂行办法》规定不向学生收取任何培训、考核费用。",  # 暂 in 暂行
    "第五部分经费保障不向学生收取任何培训、考核费用。",  # 部分 in a heading
    "学校积极争取财政资金确保不向学生收取任何培训、考核费用。",  # 争取 governs another verb
    "在任何情况下都不向学生收取培训、考核费用。",  # 任何情况下 makes it stronger
    "按“学历证书+若干职业技能等级证书”制度要求，不向学生收取任何培训、考核费用。",  # 若干
]


@pytest.mark.parametrize("text", NOT_QUALIFIED)
def test_look_alike_hedges_and_conditions_do_not_weaken(text: str) -> None:
    assert declared(text), find_fee_statements(text)


# ---- statements that fall short, by class -------------------------------------------------

SHORT = [
    # weakened: a hedge before the negator, in its clause or ending the clause before
    ("尽量不向学生收取任何培训、考核费用。", "weakened"),
    ("原则上不向学生收取培训、考核费用。", "weakened"),
    ("原则上，试点期间不向学生收取任何费用。", "weakened"),
    ("学校原则上试点期间不向学生收取任何培训、考核费用。", "weakened"),
    ("一般不向学生收取培训和考核费用。", "weakened"),
    ("一般情况下不向学生收取任何费用。", "weakened"),
    ("力争不向学生收取任何培训、考核费用。", "weakened"),
    ("学校争取做到不向学生收取培训、考核费用。", "weakened"),
    ("暂不向学生收取培训、考核费用。", "weakened"),
    ("学生原则上不缴纳任何培训和考核费用。", "weakened"),
    ("对学生减免培训、考核费用。", "weakened"),  # a reduction is not a waiver
    # partial: one of the two fees
    ("不向学生收取任何培训费用。", "partial"),
    ("不向学生收取任何考核费用。", "partial"),
    ("学生参加考核不缴纳任何费用。", "partial"),  # 任何费用 of the exam only
    ("学生免费参加培训。", "partial"),
    ("不向学生收取任何培训费用，考核费用由学校统一支付。", "partial"),  # who funds is no promise
    ("不向学生收取资料费。", "partial"),  # neither fee
    ("是否向学生收取培训费用：否", "partial"),
    # conditional: a condition before, an exception anywhere near
    ("如财政经费到位，则不向学生收取任何费用。", "conditional"),
    ("若学校经费充足，不向学生收取培训、考核费用。", "conditional"),
    ("在学校经费允许的情况下，不向学生收取培训、考核费用。", "conditional"),
    ("除教材费外，不向学生收取任何费用。", "conditional"),
    ("不向学生收取任何培训、考核费用（补考费用除外）。", "conditional"),
    ("不向学生收取任何培训、考核费用，特殊情况除外。", "conditional"),
    ("未经批准不得向学生收取任何培训、考核费用。", "conditional"),
    # negated: the negator negated
    ("并非不向学生收取费用。", "negated"),
    ("学校不能保证不向学生收取培训、考核费用。", "negated"),
    ("学校不得不向学生收取考核费用。", "negated"),
    # contradiction: students pay
    ("考核费用由学生自行承担。", "contradiction"),
    ("培训费用由学校承担，考核费用由学生个人缴纳。", "contradiction"),
    ("考核费用学生自理。", "contradiction"),
    ("向学生收取考核费200元/人。", "contradiction"),
    ("按每人200元向学生收取考核费。", "contradiction"),
    ("学生每人缴纳考核费300元。", "contradiction"),
    ("每名学生需缴纳考核费150元。", "contradiction"),
    ("学生仅需缴纳考核费。", "contradiction"),
    ("适当向学生收取考核费用。", "contradiction"),
    ("是否向学生收取培训、考核费用：是", "contradiction"),
    ("不向学生收取任何培训、考核费用。补考费由学生自理。", "contradiction"),  # both: the charge wins
]


@pytest.mark.parametrize(("text", "kind"), SHORT)
def test_statements_that_fall_short_count_as_missing(text: str, kind: str) -> None:
    assert not declared(text), find_fee_statements(text)
    assert worst(text).kind == kind


def test_no_statement_at_all_is_missing() -> None:
    assert not declared("")
    assert not declared("考核费用来源：学校专项经费。预计投入资金1.2万元。")
    # Who funds the exam is no promise to the students: plans that never declare write it too.
    assert not declared("学生考核费用由学校统一支付，经费来源为生均拨款经费。")


def test_a_partial_statement_does_not_cancel_a_full_one() -> None:
    assert declared("不向学生收取任何培训、考核费用。学生免费参加培训。")


def test_a_hedge_anywhere_undoes_a_full_declaration() -> None:
    # 补考原则上不收费 leaves room for a charge the full declaration rules out.
    assert not declared("不向学生收取任何培训、考核费用。补考原则上不向学生收取费用。")


def test_funding_by_the_school_does_not_complete_a_partial_promise() -> None:
    # The template's funding line names the exam fee and the school; it is not the students'.
    assert not declared("考核费用共计1.2万元，全部由学校从专项资金中列支。不向学生收取任何培训费用。")
    assert not declared("考核费用全部由学校承担，不向学生收取任何培训费用。")


def test_someone_else_not_paying_is_no_declaration() -> None:
    assert not declared("学生考核不合格的，学校不承担补考费用。")
    assert not declared("学生不承担考务工作。")  # 承担 without a fee
    assert not declared("培训评价组织不收取任何额外费用。")  # the organisation's own promise


def test_a_contradiction_that_is_negated_is_no_charge() -> None:
    assert declared("培训和考核费用均不由学生承担。")
    assert declared("学校承担全部培训及考核费用，无需学生承担任何费用。")


# ---- the agreement's clauses are not the plan's declaration -------------------------------

AGREEMENT_ITEMS = (
    "二、甲方权利与义务1.提供符合要求的考核场地和考务人员。2.按协议约定向乙方支付考核费用。"
    "3.不得向学生收取任何与证书培训、考核相关的费用。三、乙方权利与义务1.按时组织考核。"
)


@pytest.mark.parametrize(
    "text",
    [
        "甲方不得向学生收取任何与证书培训、考核相关的费用。",  # a party as subject
        "乙方承诺不向学生收取任何费用。",
        AGREEMENT_ITEMS,  # an item under a heading naming a party
        "第三条甲方义务（1）组织学生参加考核；（2）不向学生收取任何培训、考核费用。",
    ],
)
def test_agreement_clauses_are_not_the_plans_declaration(text: str) -> None:
    assert find_fee_statements(text) == []
    assert not declared(text)


def test_plan_statement_next_to_merged_agreement_pages() -> None:
    weakened_plan = "五、经费保障1.考核费用由学校统一支付。2.尽量不向学生收取考核费用。"
    statements = find_fee_statements(weakened_plan + AGREEMENT_ITEMS)
    assert [s.kind for s in statements] == ["weakened"]
    assert not no_student_fee_declared(statements)
    # The plan resuming after the agreement (its headings run on without a stop) is the plan.
    after = "甲方（盖章）乙方（盖章）2022年职业技能等级证书试点工作方案五、经费保障不向学生收取任何培训、考核费用。"
    assert declared(after)


# ---- what the finding quotes and says -----------------------------------------------------


def test_quote_keeps_the_hedge_and_the_schools_punctuation() -> None:
    statement = worst("1.考核费用由学校统一支付，经费来源为专项资金。2.原则上，不向学生收取培训费用。")
    assert statement.text == "原则上，不向学生收取培训费用。"
    assert statement.hedge == "原则上"


def test_quote_keeps_the_condition_and_the_exception() -> None:
    assert worst("如财政经费到位，则不向学生收取任何费用。").text.startswith("如财政经费到位，")
    assert "（补考费用除外）" in worst("不向学生收取任何培训、考核费用（补考费用除外）。").text


def test_quote_in_a_forms_joined_cells_stays_near_the_statement() -> None:
    run_on = "第五部分经费保障考核费用来源学校专项经费预算金额4.95万元培训经费安排纳入学校预算不向学生收取任何培训费用"
    statement = worst(run_on)
    assert statement.kind == "partial"  # 考核 in another cell does not widen it
    assert statement.text == "不向学生收取任何培训费用"


def test_shortfall_says_what_is_missing() -> None:
    assert "没有声明不收取考核费用" in shortfall(worst("不向学生收取任何培训费用。"))
    assert "没有声明不收取培训费用" in shortfall(worst("不向学生收取任何考核费用。"))
    both = shortfall(worst("原则上不向学生收取培训费用。"))
    assert "“原则上”" in both and "考核费用" in both
    assert "“除教材费外”" in shortfall(worst("除教材费外，不向学生收取任何费用。"))
    assert "由学生" in shortfall(worst("考核费用由学生自行承担。"))


def test_explain_reads_a_kept_quote_again() -> None:
    assert explain("尽量不向学生收取考核费用。") is not None
    assert explain("考核费用来源：学校专项经费。") is None


def test_polarity_in_the_schemas_terms() -> None:
    assert worst("不向学生收取任何培训、考核费用。").polarity == "affirmative"
    assert worst("不向学生收取任何培训费用。").polarity == "affirmative"  # true as far as it goes
    assert worst("尽量不向学生收取任何培训、考核费用。").polarity == "negated"
    assert worst("考核费用由学生自行承担。").polarity == "contradiction"


# ---- the rule's message -------------------------------------------------------------------


@pytest.fixture(scope="module")
def config() -> RoundConfig:
    return load_round_config()


def finding_for(text: str, config: RoundConfig) -> tuple[str, str | None, int | None]:
    statements = find_fee_statements(text)
    data = PlanData(agreement=Agreement(present=True, pages=[3]))
    data.funding.no_student_fee_declared = no_student_fee_declared(statements)
    facts = PlanFacts(
        data=data,
        plan_pages=[1, 2],
        fee_statements=[statement_fact(s, page=2) for s in statements],
    )
    [finding] = [f for f in run_rules("plan", facts, config) if f.rule == "plan.no_fee_declaration"]
    return finding.message, finding.evidence, finding.page


def no_internal_keys(message: str) -> bool:
    return re.search(r"[A-Za-z_]{3,}", message) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("原则上不向学生收取培训费用。", ("“原则上不向学生收取培训费用。”", "保留措辞", "考核费用")),
        ("不向学生收取任何培训费用。", ("“不向学生收取任何培训费用。”", "没有声明不收取考核费用")),
        ("学生参加考核不缴纳任何费用。", ("只涉及考核费用", "培训费用")),
        ("除教材费外，不向学生收取任何费用。", ("除教材费外", "条件或例外")),
        ("考核费用由学生自行承担。", ("“考核费用由学生自行承担。”", "相抵触")),
    ],
)
def test_rule_quotes_the_statement_and_says_what_is_missing(
    text: str, says: tuple[str, ...], config: RoundConfig
) -> None:
    message, evidence, page = finding_for(text, config)
    assert all(part in message for part in says), message
    assert "不向学生收取任何培训、考核费用" in message
    assert evidence is not None and evidence in message
    assert page == 2
    assert no_internal_keys(message), message


def test_rule_quotes_the_worst_of_several(config: RoundConfig) -> None:
    message, evidence, _ = finding_for("不向学生收取任何培训费用。考核费用由学生个人缴纳。", config)
    assert evidence == "考核费用由学生个人缴纳。"
    assert "相抵触" in message


def test_rule_without_any_statement_asks_for_one(config: RoundConfig) -> None:
    message, evidence, _ = finding_for("考核费用来源：学校专项经费。", config)
    assert evidence is None
    assert "未注明“不向学生收取任何培训、考核费用”" in message
    assert no_internal_keys(message)


def test_rule_is_quiet_on_a_declaration(config: RoundConfig) -> None:
    statements = find_fee_statements("试点期间不向学生收取任何培训和考核费用。")
    data = PlanData(agreement=Agreement(present=True, pages=[3]))
    data.funding.no_student_fee_declared = no_student_fee_declared(statements)
    facts = PlanFacts(data=data, plan_pages=[1, 2])
    assert "plan.no_fee_declaration" not in {f.rule for f in run_rules("plan", facts, config)}
