"""The labelled lines around the Attachment 1 tables: the contact when OCR lost its label."""

from __future__ import annotations

import pytest

from extractors.annex1.form import find_contact


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("院校试点负责人\t王平\t联系电话\t0731-84561234", "王平"),  # the template's row, read exactly
        ("院校坛点负责人\t谢消琴\t联系电话\t15241895024", "谢消琴"),  # OCR: 试 read as 坛
        ("了匹仪员尽由页二\t欧阳鹏\t联系电话\t0737-82321328", "欧阳鹏"),  # the label is lost entirely
    ],
)
def test_the_person_before_the_phone_label_is_the_contact(line: str, name: str) -> None:
    contact, evidence = find_contact(["院校名称\t湘南商务中等专业学校", line])
    assert contact.name == name
    assert evidence["contact.name"] == line


def test_a_school_name_before_the_phone_label_is_no_contact() -> None:
    contact, _ = find_contact(["院校名称\t湘南商务中等专业学校\t联系电话\t15241895024"])
    assert contact.name is None and contact.phone == "15241895024"


def test_a_labelled_contact_wins_over_the_row_position() -> None:
    contact, _ = find_contact(["联系人：张三", "院校试点负责人\t李四\t联系电话\t0731-84561234"])
    assert contact.name == "张三"


def test_a_phone_run_into_its_label_is_read() -> None:
    # OCR lost the rule (or the colon) between the label and the number.
    contact, evidence = find_contact(["院校试点负责人\t陈超超\t联系电话15308119881"])
    assert contact.phone == "15308119881"
    assert evidence["contact.phone"] == "院校试点负责人\t陈超超\t联系电话15308119881"
    # A label with nothing after it gives no phone.
    assert find_contact(["联系电话"])[0].phone is None
