"""Label -> value reading of form lines."""

from extractors.labels import LabelReader, LabelSpec
from extractors.plan_fields import PLAN_LABELS

READER = LabelReader(PLAN_LABELS)


def values(line: str) -> dict[str, str]:
    return {hit.field: hit.value for hit in READER.read(line)}


def test_two_labels_on_one_line() -> None:
    assert values("证书名称：Web前端开发  等级：中级") == {"certificate": "Web前端开发", "level": "中级"}


def test_longest_label_wins() -> None:
    assert values("2019-2021年已完成考核人数：85人") == {"completed_2019_2021": "85人"}
    assert values("报考人数：120人") == {"candidates": "120人"}


def test_table_cells_without_colon() -> None:
    assert values("2022年报考人数\t300人") == {"candidates": "300人"}
    assert values("考评员\t共11人，均持有考评员证书") == {"teachers.certified": "共11人，均持有考评员证书"}


def test_label_word_inside_a_value_is_not_a_label() -> None:
    assert values("持证教师：现有持证考评员9名") == {"teachers.certified": "现有持证考评员9名"}


def test_glued_label_at_line_start_but_not_in_a_numbered_heading() -> None:
    assert values("实操考场与合作企业共建实训室5间") == {"facilities.practical": "与合作企业共建实训室5间"}
    assert values("1. 试点证书基本情况") == {}
    assert values("三、考评员及师资情况") == {}


def test_short_labels_need_a_form_position() -> None:
    reader = LabelReader([LabelSpec("level", "等级", anchored=True, glued=False)])
    assert reader.read("职业技能等级证书试点") == []
    assert [h.value for h in reader.read("等级：高级")] == ["高级"]
