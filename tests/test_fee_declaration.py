"""The no-student-fee declaration: affirmative phrasings count, negated or contradicted ones
do not."""

import pytest

from extractors.fee_declaration import find_fee_statements, no_student_fee_declared

DECLARED = [
    "不向学生收取任何培训、考核费用",
    "我校承诺不向学生收取任何培训费和考核费。",
    "培训及考核费用全部由学校承担，不向学生收取任何费用。",
    "学生参加培训和考核不缴纳任何费用。",
    "严禁向学生收取任何培训、考核费用",
    "不向学生收取任何培训、考\n核费用",  # wrapped across lines
    "学生免费参加培训和考核",
    "不收取学生任何费用",
    "学生无需承担任何培训、考核费用",
    "本项目不 向 学 生 收 取 任何培训、考核费用。",  # stray PDF spaces
]

NOT_DECLARED = [
    "费用由学生自行承担。",
    "考核费用由学生个人缴纳。",
    "不向学生收取任何培训、考核费用。向学生收取考核费200元/人。",
    "不向学生收取培训费用，考核费用由学生自理。",
    "考核费用来源：学校专项经费",
    "并非不向学生收取费用",
    "学生需缴纳考核费150元",
    "",
]


@pytest.mark.parametrize("text", DECLARED)
def test_affirmative_declarations(text: str) -> None:
    assert no_student_fee_declared(find_fee_statements(text)), text


@pytest.mark.parametrize("text", NOT_DECLARED)
def test_missing_negated_or_contradicted(text: str) -> None:
    assert not no_student_fee_declared(find_fee_statements(text)), text


def test_contradiction_is_reported_with_its_sentence() -> None:
    statements = find_fee_statements("不向学生收取任何培训、考核费用。另按每人向学生收取考核费200元。")
    polarities = [s.polarity for s in statements]
    assert "affirmative" in polarities
    assert "contradiction" in polarities
    contradiction = next(s for s in statements if s.polarity == "contradiction")
    assert "200元" in contradiction.text
