"""What each row of an Attachment 1 grid is: a header, a caption, a 合计 row, a note, a footer.

Schools retype the office's template freely: labels letter-spaced (试 点 规 模), with units
(应缴费用（万元）) or synonyms (级别, 拟申报人数), on one header row or two. So a header row is known
by the fields its labels name, never by fixed cells. And a header must name Attachment 1's
fields only: a teachers' list (姓名, 职称, 证书名称, 等级) or an exam timetable (日期, 时间, 证书,
人数) names some of the same fields, and is still not an Attachment 1.
"""

from __future__ import annotations

import re
from typing import Literal

from extractors.annex1.values import is_placeholder
from extractors.normalize import fold_width

SectionKind = Literal["existing", "new"]
EXISTING_FIELDS = ("batch", "certificate", "level", "scale", "completed", "fee_due_wan", "fee_paid_wan")
NEW_FIELDS = ("certificate", "level", "scale")
COUNT_FIELDS = frozenset({"scale", "completed"})
MONEY_FIELDS = frozenset({"fee_due_wan", "fee_paid_wan"})
# Only the existing-pilots table has these columns; a header with one of them is that table.
EXISTING_ONLY = frozenset({"batch", "completed", "fee_due_wan", "fee_paid_wan"})

_TOTAL = re.compile(r"^(?:合计|总计|小计|共计|总合计)[:：]?$")
_NOTE = re.compile(r"^(?:注|说明|填表说明|填报说明|备注)")
_GROUP_EXISTING = re.compile(r"已有|现有|已开展|已获批|原有|已批准|已立项|往年")
_GROUP_NEW = re.compile(
    r"新申报|拟申报|本次申报|新增|20\d{2}年申报|申报试点|申报情况|本年度申报|申请试点情况|新申请"
)
_CAPTION = re.compile(r"试点情况|试点信息|已有|现有|新申报|拟申报|申报情况|^[一二三四五六七八九十]+、")
_FOOTER = re.compile(
    r"签字|签名|盖章|公章|联系人|联系电话|手机|填报日期|填表日期|^日期|填表人|填报人|院校名称|学校名称|填报单位|"
    r"意见|负责人"
)
# Columns that belong to other tables schools send. A person column (a teachers' or students'
# list) means the row is not an Attachment 1 header even where it also names 证书 and 等级; a
# schedule column (an exam timetable) does when there are two of them, since a school may add
# one 拟考核时间 column to its real table.
_PERSON_COLUMN = re.compile(
    r"姓名|性别|年龄|出生|身份证|民族|籍贯|政治面貌|学历|学位|职称|职务|工号|学号|教师|讲师|考评员|督导|班级|成绩|分数"
)
_SCHEDULE_COLUMN = re.compile(r"星期|节次|课程|课时|学时|教室|考场|场次|地点|日期|时间")


def label_key(text: str) -> str:
    """A header label without spaces, line breaks or parenthetical units: 试 点 规 模（人） -> 试点规模."""
    folded = re.sub(r"\s+", "", fold_width(text))
    return re.sub(r"\([^()]*\)", "", folded)


def header_field(text: str) -> str | None:
    """The Attachment 1 field a header label names, or None. Order matters: 已完成考核人数 is
    not 试点人数, 证书等级 is a level, 职业技能等级证书名称 is a certificate."""
    key = label_key(text)
    if not key or len(key) > 20 or _NOTE.match(key):
        return None
    if re.fullmatch(r"序号|编号|no\.?", key, re.IGNORECASE):
        return "seq"
    if re.search(r"院校|学校|单位|联系|日期|签字|盖章", key):
        return None
    if re.search(r"已完成|已考核|完成考核|已参加考核|考核完成|已取证|已参考", key):
        return "completed"
    if re.search(r"已缴|已交|实缴|已付|已支付", key):
        return "fee_paid_wan"
    if re.search(r"应缴|应交|应付|应支付", key):
        return "fee_due_wan"
    if "名称" in key:
        return "certificate"
    if re.search(r"(?:等级|级别)$", key):
        return "level"
    if "证书" in key:
        return "certificate"
    if "批次" in key:
        return "batch"
    if re.search(r"规模|人数", key):
        return "scale"
    return None


def is_foreign_label(text: str) -> bool:
    """A column label of some other table (姓名, 职称, 考试时间...), not of Attachment 1."""
    key = label_key(text)
    return bool(key) and len(key) <= 20 and bool(_PERSON_COLUMN.search(key) or _SCHEDULE_COLUMN.search(key))


def _is_foreign_header(row: list[str]) -> bool:
    labels = [label_key(text) for text in set(row) if text and len(label_key(text)) <= 20]
    if any(_PERSON_COLUMN.search(label) for label in labels):
        return True
    return sum(1 for label in labels if _SCHEDULE_COLUMN.search(label)) >= 2


# A fee column that says neither 应 nor 已: OCR gave its 应 to the cell before (完成考核数应 /
# 支付考核费用), or the school wrote only 考核费用.
_BARE_FEE = re.compile(r"费用|缴费|支付|金额")


# The word a label opens with that OCR may give to the label before it (试点规模已 | 考核人数).
_LEADING_WORDS = "已应实"


def _relabelled(row: list[str]) -> list[str]:
    """Header labels with a leading 已/应/实 that OCR put at the end of the label before
    moved back where it belongs."""
    labels = list(row)
    for index in range(len(labels) - 1):
        here, after = label_key(labels[index]), label_key(labels[index + 1])
        if (
            len(here) > 2
            and here[-1] in _LEADING_WORDS
            and after
            and after[0] != here[-1]
            and header_field(here[:-1]) is not None
            and labels[index] != labels[index + 1]
        ):
            labels[index] = labels[index].rstrip()[:-1]
            labels[index + 1] = here[-1] + labels[index + 1]
    return labels


def row_fields(row: list[str], usable: list[bool] | None = None) -> dict[str, int]:
    """Each field named in a row, at the first (usable) column naming it. A bare fee label
    beside an 已-fee column is the fee due, the one column of the pair left."""
    fields: dict[str, int] = {}
    bare_fee: int | None = None
    for column, text in enumerate(_relabelled(row)):
        if usable is not None and not usable[column]:
            continue
        name = header_field(text)
        if name is not None and name not in fields:
            fields[name] = column
        elif name is None and bare_fee is None and _BARE_FEE.search(label_key(text)):
            bare_fee = column
    if bare_fee is not None and "fee_paid_wan" in fields and "fee_due_wan" not in fields:
        fields["fee_due_wan"] = bare_fee
    return fields


def is_header_row(row: list[str]) -> bool:
    """A row labelling an Attachment 1 table: a certificate or batch column and one more field,
    and no column that belongs to another kind of table."""
    fields = set(row_fields(row)) - {"seq"}
    if len(fields) < 2 or not fields & {"certificate", "batch"}:
        return False
    return not _is_foreign_header(row)


def is_numeric_text(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+(?:\.\d+)?\s*(?:人|名|万元|元|万)?", fold_width(text).strip()) is not None


def _is_group_run(row: list[str], column: int) -> bool:
    """The cell is part of a horizontally merged label (the same text on a neighbour)."""
    text = row[column]
    return bool(text) and (
        (column > 0 and row[column - 1] == text) or (column + 1 < len(row) and row[column + 1] == text)
    )


def is_subheader(above: list[str], row: list[str]) -> bool:
    """A second header row: labels only under a merged group label (考核费（万元） over 应缴/已缴)
    or under nothing; every other cell repeats the one above (a vertical merge) or is empty."""
    if not any(row) or any(is_numeric_text(text) for text in row if text):
        return False
    if is_total_row(row) or is_note_row(row):
        return False
    new_labels = 0
    for column, text in enumerate(row):
        upper = above[column] if column < len(above) else ""
        if not text or text == upper:
            continue
        if upper and not _is_group_run(above, column) and header_field(upper) not in (None, "seq"):
            return False
        new_labels += 1
    return new_labels > 0


def caption_group(text: str) -> SectionKind | None:
    """Which table a caption or section label names: 已有/现有… or 新申报/拟申报…."""
    key = label_key(text)
    if _GROUP_NEW.search(key):
        return "new"
    if _GROUP_EXISTING.search(key):
        return "existing"
    return None


def first_text(row: list[str]) -> str:
    return next((text for text in row if text), "")


def is_total_row(row: list[str]) -> bool:
    """合计/总计/小计 in any cell: usually the first or the 序号 cell, but a school that moved
    the 规模 column first writes the total before the label."""
    return any(_TOTAL.match(label_key(text)) for text in row if text)


def is_subtotal_row(row: list[str]) -> bool:
    """A 小计 row: the sum of one group (a batch) in a table that ends with its 合计."""
    keys = [label_key(text) for text in row if text]
    totals = [key for key in keys if _TOTAL.match(key)]
    return bool(totals) and all(key.startswith("小计") for key in totals)


def is_note_row(row: list[str]) -> bool:
    return _NOTE.match(label_key(first_text(row))) is not None


def ends_section(row: list[str]) -> bool:
    """A row that cannot belong to the table body: another header, a section caption, or the
    signature/contact/date/opinion lines under the table."""
    if is_header_row(row):
        return True
    texts = [text for text in row if text]
    if any(is_numeric_text(text) for text in texts):
        return False
    distinct = set(texts)
    if len(distinct) == 1 and _CAPTION.search(label_key(texts[0])) and not is_placeholder(texts[0]):
        return True  # a caption; 本校暂无已有试点 is a placeholder row, not the next caption
    return has_footer_label(row)


def has_footer_label(row: list[str]) -> bool:
    """A cell of the lines under the tables: 联系人, 签字, 盖章, 日期, 院校意见…."""
    return any(_FOOTER.search(label_key(text)) for text in set(row) if text)
