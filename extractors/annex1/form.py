"""The labelled lines around the Attachment 1 tables: school, contact, date.

A school writes them as ``院校名称：xxx`` in one cell or paragraph, or as a label cell with the
value in the next cell and no colon (院校名称 | xxx, 院校试点负责人 | 王平 | 联系电话 | 0731-…),
or not at all, its name standing only in the title (xxx院校试点信息统计表). The school is named
from the table itself even when the round file does not list it: a school writing in from off
the list must still be named, not dropped.
"""

from __future__ import annotations

import datetime as dt
import re

from extractors.normalize import clean_line, find_dates, matching_text, parse_date
from extractors.schools import canonical_school, school_in_text
from extractors.tables import TableFile
from schemas.annex1 import Contact
from schemas.round_config import RoundConfig

_STAMP = r"(?:\(\s*(?:盖章|公章|签章|全称|签字)\s*\))?"


def _label(alternatives: str, *, bare_cell: str | None = None) -> re.Pattern[str]:
    """``label：value`` anywhere; and, for the unambiguous ``bare_cell`` labels, a label that is
    a whole cell with its value in the next one (no colon)."""
    with_colon = rf"(?:{alternatives})\s*{_STAMP}\s*[:：]"
    if bare_cell is None:
        return re.compile(with_colon)
    return re.compile(rf"{with_colon}|(?:^|(?<=\t))(?:{bare_cell})\s*{_STAMP}\s*(?=\t)")


_SCHOOL_NAMES = r"院校名称|学校名称|学校全称|单位名称|填报单位|申报单位|报送单位|试点院校|院校全称"
_SCHOOL_LABEL = _label(rf"{_SCHOOL_NAMES}|院校|学校", bare_cell=_SCHOOL_NAMES)
_CONTACT_NAMES = r"联系人|填表人|填报人|经办人|联络人"
_CONTACT_LABEL = _label(rf"(?:{_CONTACT_NAMES})(?:及电话|及联系方式)?", bare_cell=_CONTACT_NAMES)
# The template's 院校试点负责人 row names the person the office deals with: the contact when no
# 联系人 is written.
_LEAD_NAMES = r"(?:院校|学校)?试点(?:工作)?(?:负责人|联系人)|(?:院校|学校)?项目负责人"
_LEAD_LABEL = _label(_LEAD_NAMES, bare_cell=_LEAD_NAMES)
_PHONE_NAMES = r"联系电话|办公电话|手机号码|手机号|手机|电话|联系方式"
_PHONE_LABEL = _label(_PHONE_NAMES, bare_cell=_PHONE_NAMES)
_DATE_NAMES = r"填报日期|填表日期|报送日期|日期|时间"
_DATE_LABEL = _label(_DATE_NAMES, bare_cell=r"填报日期|填表日期|报送日期|日期")
_ANY_LABEL = re.compile(
    "|".join(p.pattern for p in (_SCHOOL_LABEL, _CONTACT_LABEL, _LEAD_LABEL, _PHONE_LABEL, _DATE_LABEL))
    + r"|主管领导|负责人|签字|签名|\(盖章\)"
)
_PHONE = re.compile(r"(?:\+?86[-\s]?)?(?:1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}|0\d{2,3}[-\s]?\d{7,8}(?:-\d{1,4})?)")
# A school's name as it stands in a title: a run of characters ending in a school word.
_SCHOOL_IN_TITLE = re.compile(
    r"[\u4e00-\u9fff]{2,}?(?:职业技术学院|职业学院|技术学院|学院|大学|职业技术学校|中等专业学校|中等职业学校|"
    r"职业中专学校|职业学校|技工学校|技师学院|学校|中专|职专)"
)
_TITLE = re.compile(
    r"院校试点信息|试点信息(?:统计|汇总|登记)?表|试点(?:情况|工作)(?:统计|汇总)表|试点院校信息"
)


def is_annex1_title(text: str) -> bool:
    """A title such as 院校试点信息统计表 (with or without a school or year around it)."""
    return _TITLE.search(re.sub(r"\s+", "", matching_text(text))) is not None


def form_lines(book: TableFile) -> list[str]:
    """Text lines, then every table row as a line (label and value may sit in cells); a sheet's
    rows are already in its text, so repeats are dropped."""
    lines = [line for line in book.text.splitlines() if line.strip()]
    for table in book.tables:
        lines.extend("\t".join(dict.fromkeys(text for text in row if text)) for row in table.rows)
    return [matching_text(line) for line in dict.fromkeys(line for line in lines if line.strip())]


def labelled_value(line: str, label: re.Pattern[str]) -> str | None:
    """The text after ``label`` up to the next label or cell; the next cell when the label's
    own cell is empty (label and value in two cells)."""
    match = label.search(line)
    if match is None:
        return None
    rest = line[match.end() :]
    following = _ANY_LABEL.search(rest)
    own, _, after = rest.partition("\t")
    value = own if following is None or following.start() >= len(own) else rest[: following.start()]
    value = value.strip().strip("_").strip()
    if not value and after:
        next_cell = after.split("\t", 1)[0].strip()
        if next_cell and not _ANY_LABEL.match(next_cell):
            value = next_cell
    return value or None


def _school_name(value: str, config: RoundConfig) -> str:
    value = re.sub(r"\(\s*(?:盖章|公章|签章)\s*\)", "", clean_line(value)).strip()
    return canonical_school(value, config) or school_in_text(value, config) or value


def find_school(lines: list[str], config: RoundConfig) -> tuple[str | None, str | None]:
    """The school from its 院校名称 label, else a listed school named anywhere, else the school
    named in the table's title."""
    for line in lines:
        value = labelled_value(line, _SCHOOL_LABEL)
        if value and not is_annex1_title(value):
            return _school_name(value, config), line
    for line in lines:
        found = school_in_text(line, config)
        if found:
            return found, line
    for line in lines:
        if not is_annex1_title(line):
            continue
        for cell in line.split("\t"):
            title = re.sub(r"^附件\s*[1一]\s*[:：]?", "", re.sub(r"\s+", "", cell))
            match = _SCHOOL_IN_TITLE.search(_TITLE.sub("|", title))
            if match:
                return _school_name(match.group(0), config), line
    return None, None


def _contact_from(line: str, label: re.Pattern[str], contact: Contact, evidence: dict[str, str]) -> None:
    value = labelled_value(line, label)
    if contact.name is not None or not value:
        return
    phone = _PHONE.search(value)
    name = clean_line(value[: phone.start()] if phone else value).strip(" ,，、/")
    contact.name = name or None
    evidence["contact.name"] = line
    if phone and contact.phone is None:
        contact.phone = re.sub(r"\s", "", phone.group(0))
        evidence["contact.phone"] = line


_RUN_ON_PHONE = re.compile(rf"(?:{_PHONE_NAMES})\s*({_PHONE.pattern})")
_PHONE_CELL = re.compile(rf"^(?:{_PHONE_NAMES})\s*[:：]?$")
_PERSON = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")


def _name_before_phone(line: str) -> str | None:
    """The template's row 院校试点负责人 | 王平 | 联系电话 | 0731-…: the person in the cell before
    the phone label, when the row's first label could not be read (a scan: 院校坛点负责人, or
    worse). A person's name only: two to five characters and no label."""
    cells = [cell.strip() for cell in line.split("\t")]
    for index in range(2, len(cells)):
        candidate = cells[index - 1]
        if _PHONE_CELL.match(cells[index]) and _PERSON.match(candidate) and not _ANY_LABEL.search(candidate):
            return candidate
    return None


def find_contact(lines: list[str]) -> tuple[Contact, dict[str, str]]:
    contact = Contact()
    evidence: dict[str, str] = {}
    for label in (_CONTACT_LABEL, _LEAD_LABEL):
        for line in lines:
            _contact_from(line, label, contact, evidence)
    for line in lines if contact.name is None else []:
        if (name := _name_before_phone(line)) is not None:
            contact.name = name
            evidence["contact.name"] = line
            break
    for line in lines:
        if contact.phone is None and (value := labelled_value(line, _PHONE_LABEL)):
            phone = _PHONE.search(value)
            if phone is None and not re.search(r"\d{5}", value):
                continue
            contact.phone = re.sub(r"\s", "", phone.group(0) if phone else value)
            evidence["contact.phone"] = line
    for line in lines if contact.phone is None else []:
        # OCR lost the colon or the rule between the label and the number: 联系电话15308119881
        if (run_on := _RUN_ON_PHONE.search(line)) is not None:
            contact.phone = re.sub(r"\s", "", run_on.group(1))
            evidence["contact.phone"] = line
            break
    return contact, evidence


def find_date(lines: list[str], year: int) -> tuple[dt.date | None, str | None]:
    for line in lines:
        value = labelled_value(line, _DATE_LABEL)
        if value and (date := parse_date(value, default_year=year)):
            return date, line
    # No label: the last full date on the form is the one under the signature.
    for line in reversed(lines):
        dates = find_dates(line)
        if dates:
            return dates[-1][0], line
    return None, None
