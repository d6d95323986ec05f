"""Attachment 1 (院校试点信息统计表) cell grids -> :class:`Annex1Data`.

Every school fills the office's template its own way: headers on one or two rows, letter-spaced
(试 点 规 模), with units (应缴费用（万元）) or synonyms (级别, 拟申报人数), an extra 序号 column,
columns moved, both tables on one sheet or on two, 合计 rows, notes. So the two tables are found
by their header labels, never by fixed cells, and every value is normalised the way a reviewer
would read it. What cannot be read is reported in ``problems`` rather than guessed, and where each
value came from is kept in ``evidence`` for the reviewer's screen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

from extractors.errors import InputFileError
from extractors.normalize import (
    chinese_number,
    clean_line,
    find_dates,
    fold_width,
    match_key,
    matching_text,
    parse_amount_wan,
    parse_date,
)
from extractors.schools import school_in_text
from extractors.tables import Table, TableFile, formula_value, read_tables
from schemas.annex1 import Annex1Data, Contact, ExistingPilotRow, NewApplicationRow
from schemas.document import DocumentResult, ProcessingError
from schemas.round_config import RoundConfig

SectionKind = Literal["existing", "new"]
EXISTING_FIELDS = ("batch", "certificate", "level", "scale", "completed", "fee_due_wan", "fee_paid_wan")
NEW_FIELDS = ("certificate", "level", "scale")
COUNT_FIELDS = frozenset({"scale", "completed"})
MONEY_FIELDS = frozenset({"fee_due_wan", "fee_paid_wan"})
# Only the existing-pilots table has these columns; a header with one of them is that table.
EXISTING_ONLY = frozenset({"batch", "completed", "fee_due_wan", "fee_paid_wan"})

_CN_ORDINALS = "〇一二三四五六七八九十"
_PLACEHOLDERS = frozenset({"", "/", "-", "—", "——", "－", "无", "\\", "空"})
_TOTAL = re.compile(r"^(?:合计|总计|小计|共计|总合计)[:：]?$")
_NOTE = re.compile(r"^(?:注|说明|填表说明|填报说明|备注)")
_GROUP_EXISTING = re.compile(r"已有|现有|已开展|已获批|原有")
_GROUP_NEW = re.compile(r"新申报|拟申报|本次申报|新增|20\d{2}年申报|申报试点|申报情况")
_CAPTION = re.compile(r"试点情况|试点信息|已有|现有|新申报|拟申报|申报情况|^[一二三四五六七八九十]+、")
_FOOTER = re.compile(
    r"签字|签名|盖章|公章|联系人|联系电话|手机|填报日期|填表日期|^日期|填表人|填报人|院校名称|学校名称|填报单位"
)


@dataclass
class Annex1Parse:
    """What was read, where each value came from (field path -> location and cell text), and
    what could not be read."""

    data: Annex1Data
    evidence: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """One Attachment 1 table found in a grid: which kind, where its header is, and which
    column holds each field (``yuan`` names money columns whose header says 元, not 万元)."""

    kind: SectionKind
    table: Table
    header_rows: tuple[int, ...]
    columns: dict[str, int]
    labels: dict[str, str]
    yuan: frozenset[str] = frozenset()


# ---- carryover --------------------------------------------------------------------------------


def carryover(batch: str | None, scale: int | None, completed: int | None, config: RoundConfig) -> int | None:
    """Places that carry into this round: unexamined places of a carry-over batch (2021), none
    for the other valid batches, unknown for an invalid or unreadable batch."""
    if batch is None or batch not in config.valid_batches:
        return None
    if batch not in config.carryover_batches:
        return 0
    if scale is None:
        return None
    return max(scale - (completed or 0), 0)


# ---- header labels ----------------------------------------------------------------------------


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


def _row_fields(row: list[str]) -> dict[str, int]:
    """Each field named in a row, at the first column naming it."""
    fields: dict[str, int] = {}
    for column, text in enumerate(row):
        name = header_field(text)
        if name is not None and name not in fields:
            fields[name] = column
    return fields


def is_header_row(row: list[str]) -> bool:
    fields = set(_row_fields(row)) - {"seq"}
    return len(fields) >= 2 and bool(fields & {"certificate", "batch"})


def _is_numeric_text(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+(?:\.\d+)?\s*(?:人|名|万元|元|万)?", fold_width(text).strip()) is not None


def _is_group_run(row: list[str], column: int) -> bool:
    """The cell is part of a horizontally merged label (the same text on a neighbour)."""
    text = row[column]
    return bool(text) and (
        (column > 0 and row[column - 1] == text) or (column + 1 < len(row) and row[column + 1] == text)
    )


def _is_subheader(above: list[str], row: list[str]) -> bool:
    """A second header row: labels only under a merged group label (考核费（万元） over 应缴/已缴)
    or under nothing; every other cell repeats the one above (a vertical merge) or is empty."""
    if not any(row) or any(_is_numeric_text(text) for text in row if text):
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


def _caption_group(text: str) -> SectionKind | None:
    key = label_key(text)
    if _GROUP_NEW.search(key):
        return "new"
    if _GROUP_EXISTING.search(key):
        return "existing"
    return None


def find_sections(table: Table) -> list[Section]:
    """Every Attachment 1 table in a grid, top to bottom (two stacked tables in one sheet, or
    side by side under two group captions)."""
    sections: list[Section] = []
    row_index = 0
    rows = table.rows
    while row_index < len(rows):
        if not is_header_row(rows[row_index]):
            row_index += 1
            continue
        header_rows = [row_index]
        while row_index + len(header_rows) < len(rows) and _is_subheader(
            rows[header_rows[-1]], rows[row_index + len(header_rows)]
        ):
            header_rows.append(row_index + len(header_rows))
        caption = rows[row_index - 1] if row_index > 0 else []
        found = _sections_for_header(table, header_rows, caption)
        end = header_rows[-1] + 1
        for section in found:
            end = max(end, _data_end(section))
        sections.extend(found)
        row_index = end
    return sections


def _combined_labels(table: Table, header_rows: list[int]) -> list[str]:
    width = max(len(table.rows[r]) for r in header_rows)
    labels = []
    for column in range(width):
        parts: list[str] = []
        for r in header_rows:
            text = table.cell(r, column)
            if text and text not in parts:
                parts.append(text)
        labels.append("".join(parts))
    return labels


def _sections_for_header(table: Table, header_rows: list[int], caption: list[str]) -> list[Section]:
    labels = _combined_labels(table, header_rows)
    column_groups = [_caption_group(caption[c]) if c < len(caption) else None for c in range(len(labels))]
    # Side by side: one header row under two group captions (已有试点 | 新申报).
    if "existing" in column_groups and "new" in column_groups:
        kinds: list[SectionKind] = ["existing", "new"]
        return [
            section
            for kind in kinds
            if (section := _section(table, header_rows, labels, [g == kind for g in column_groups], kind))
        ]
    everything = [True] * len(labels)
    fields = {header_field(label) for label in labels}
    caption_kind = next((g for g in column_groups if g), None)
    kind: SectionKind = "existing" if fields & EXISTING_ONLY else caption_kind or "new"
    section = _section(table, header_rows, labels, everything, kind)
    return [section] if section else []


def _section(
    table: Table, header_rows: list[int], labels: list[str], usable: list[bool], kind: SectionKind
) -> Section | None:
    wanted = EXISTING_FIELDS if kind == "existing" else NEW_FIELDS
    columns: dict[str, int] = {}
    for column, label in enumerate(labels):
        name = header_field(label)
        if name is not None and usable[column] and name in (*wanted, "seq") and name not in columns:
            columns[name] = column
    if "certificate" not in columns:
        return None
    yuan = frozenset(name for name in MONEY_FIELDS if name in columns and _says_yuan(labels[columns[name]]))
    chosen = {name: labels[column] for name, column in columns.items()}
    return Section(kind, table, tuple(header_rows), columns, chosen, yuan)


def _says_yuan(label: str) -> bool:
    folded = fold_width(label)
    return "元" in folded and "万元" not in folded and "万" not in folded


# ---- body rows -----------------------------------------------------------------------------------


def _first_text(row: list[str]) -> str:
    return next((text for text in row if text), "")


def is_total_row(row: list[str]) -> bool:
    """合计/总计/小计 in any cell: usually the first or the 序号 cell, but a school that moved
    the 规模 column first writes the total before the label."""
    return any(_TOTAL.match(label_key(text)) for text in row if text)


def is_note_row(row: list[str]) -> bool:
    return _NOTE.match(label_key(_first_text(row))) is not None


def _ends_section(row: list[str]) -> bool:
    """A row that cannot belong to the table body: another header, a section caption, or the
    signature/contact/date lines under the table."""
    if is_header_row(row):
        return True
    texts = [text for text in row if text]
    if any(_is_numeric_text(text) for text in texts):
        return False
    distinct = set(texts)
    if len(distinct) == 1 and _CAPTION.search(label_key(texts[0])):
        return True
    return any(_FOOTER.search(label_key(text)) for text in distinct)


def _data_end(section: Section) -> int:
    """Index of the first row after this section's body (its 合计 row included)."""
    rows = section.table.rows
    for r in range(section.header_rows[-1] + 1, len(rows)):
        row = rows[r]
        if is_total_row(row):
            return r + 1
        if not is_note_row(row) and _ends_section(row):
            return r
    return len(rows)


def _body_rows(section: Section) -> tuple[list[int], int | None]:
    """Data row indices and the 合计 row index of a section."""
    data: list[int] = []
    rows = section.table.rows
    for r in range(section.header_rows[-1] + 1, _data_end(section)):
        row = rows[r]
        if is_total_row(row):
            return data, r
        if is_note_row(row) or _is_filler(row, section):
            continue
        data.append(r)
    return data, None


def _is_filler(row: list[str], section: Section) -> bool:
    """Blank rows, 无 / — placeholder rows and merged one-text lines carry no pilot."""
    values = [row[c] if c < len(row) else "" for name, c in section.columns.items() if name != "seq"]
    if all(fold_width(v).strip() in _PLACEHOLDERS for v in values):
        return True
    texts = [text for text in row if text]
    return len(texts) >= 3 and len(set(texts)) == 1


# ---- value normalisation ---------------------------------------------------------------------


def parse_count_cell(text: str) -> int | None:
    """50 / ５０ / 50人 / 50 名 / 五十人 -> 50; None for blanks and placeholders. Raises
    ValueError for text that is not a count, so the caller can report it."""
    folded = re.sub(r"[\s,，]", "", fold_width(text))
    if folded in _PLACEHOLDERS:
        return None
    folded = re.sub(r"(?:人次|人|名|位|个)$", "", folded)
    if re.fullmatch(r"\d+", folded):
        return int(folded)
    if re.fullmatch(r"\d+\.0*", folded):
        return int(float(folded))
    number = chinese_number(folded)
    if number is not None:
        return number
    raise ValueError(f"不是人数：{text}")


def parse_money_cell(text: str, *, header_says_yuan: bool = False) -> float | None:
    """Fee in 万元: 1.2 / 1.2万元 / 12000元 / 12,000 -> 1.2. A bare number is in the header's
    unit (万元 in the template). Raises ValueError for text that is not an amount."""
    folded = re.sub(r"[\s,，]", "", fold_width(text))
    if folded in _PLACEHOLDERS:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(万元|万|元)?", folded)
    if match is None:
        amount = parse_amount_wan(text)
        if amount is None:
            raise ValueError(f"不是金额：{text}")
        return amount
    value = float(match.group(1))
    unit = match.group(2) or ("元" if header_says_yuan else "万元")
    if unit == "元":
        value = value / 10000
    return round(value, 6)


_BATCH = re.compile(
    r"^第?(?P<year>20\d{2})年?度?(?:[-—–_.、/]|\s)*第?(?P<number>[一二三四五六七八九十]|\d{1,2})批?次?$"
)


def normalise_batch(text: str, config: RoundConfig) -> str | None:
    """2019年第一批 / 2019 第一批 / 2019年第1批 / 2019-1 -> 2019年第一批 when that is a valid
    batch of the round; anything else is kept as written for the batch check to flag."""
    written = clean_line(text)
    if not written or written in _PLACEHOLDERS:
        return None
    compact = re.sub(r"\s+", "", fold_width(written))
    # Excel turns a typed 2019-1 into the date 2019-01-01; in the batch column that is batch 1.
    excel_date = re.fullmatch(r"(?P<year>20\d{2})-(?P<number>0?[1-9])-01(?:00:00)?", compact)
    match = excel_date or _BATCH.match(compact)
    if match is None:
        return written
    number_text = match.group("number").lstrip("0")
    number = int(number_text) if number_text.isdigit() else chinese_number(number_text)
    if number is None or not 1 <= number <= 10:
        return written
    canonical = f"{match.group('year')}年第{_CN_ORDINALS[number]}批"
    return canonical if canonical in config.valid_batches else written


def normalise_level(text: str) -> str | None:
    written = clean_line(text)
    if not written or written in _PLACEHOLDERS:
        return None
    match = re.fullmatch(r"([初中高])级?(?:证书)?", re.sub(r"\s+", "", written))
    return f"{match.group(1)}级" if match else written


def certificate_lookup(config: RoundConfig) -> dict[str, str]:
    """match_key of every certificate name and alias -> the round's canonical name."""
    lookup: dict[str, str] = {}
    for entry in config.certificates:
        for written in (entry.name, *entry.aliases):
            lookup.setdefault(match_key(written), entry.name)
    return lookup


def normalise_certificate(text: str, lookup: dict[str, str]) -> str | None:
    """建筑信息模型(BIM) / BIM / 物流管理职业技能等级证书 -> the round's name; else as written."""
    written = clean_line(text)
    if not written or written in _PLACEHOLDERS:
        return None
    bare = re.sub(r"(?:职业技能等级证书|等级证书|证书)$", "", written).strip() or written
    return lookup.get(match_key(bare)) or lookup.get(match_key(written)) or written


# ---- reading a section -----------------------------------------------------------------------


class _Reader:
    """Reads sections into rows, recording evidence and problems as it goes."""

    def __init__(self, config: RoundConfig, evidence: dict[str, str], problems: list[str]) -> None:
        self.config = config
        self.certificates = certificate_lookup(config)
        self.evidence = evidence
        self.problems = problems

    def location(self, section: Section, row: int, name: str) -> str:
        table = section.table
        where = f"{table.sheet}第{row + 1}行" if table.sheet else f"表{table.index + 1}第{row + 1}行"
        return f"{where}（{section.labels.get(name, name)}）"

    def value(self, section: Section, row: int, name: str, path: str) -> str | int | float | None:
        column = section.columns.get(name)
        if column is None:
            return None
        table = section.table
        text = table.cell(row, column)
        if not text:
            return None
        self.evidence[path] = f"{self.location(section, row, name)}：{text}"
        if (row, column) in table.formulas:
            return self._formula(section, row, column, name, text)
        try:
            if name in COUNT_FIELDS:
                return parse_count_cell(text)
            if name in MONEY_FIELDS:
                return parse_money_cell(text, header_says_yuan=name in section.yuan)
        except ValueError:
            self.problems.append(f"{self.location(section, row, name)}无法识别：{text}")
            return None
        if name == "batch":
            return normalise_batch(text, self.config)
        if name == "level":
            return normalise_level(text)
        if name == "certificate":
            return normalise_certificate(text, self.certificates)
        return text

    def _formula(self, section: Section, row: int, column: int, name: str, text: str) -> int | float | None:
        computed = formula_value(section.table, row, column)
        if computed is None or name not in COUNT_FIELDS | MONEY_FIELDS:
            self.problems.append(f"{self.location(section, row, name)}是未计算的公式，已忽略：{text}")
            return None
        if name in COUNT_FIELDS:
            return round(computed)
        return round(computed / 10000 if name in section.yuan else computed, 6)

    def existing_row(self, section: Section, row: int, path: str, *, total: bool) -> ExistingPilotRow:
        names = ("scale", "completed", "fee_due_wan", "fee_paid_wan") if total else EXISTING_FIELDS
        values = {name: self.value(section, row, name, f"{path}.{name}") for name in names}
        parsed = ExistingPilotRow.model_validate(values)
        if not total:
            parsed.carryover = carryover(parsed.batch, parsed.scale, parsed.completed, self.config)
        return parsed

    def new_row(self, section: Section, row: int, path: str, *, total: bool) -> NewApplicationRow:
        names = ("scale",) if total else NEW_FIELDS
        values = {name: self.value(section, row, name, f"{path}.{name}") for name in names}
        return NewApplicationRow.model_validate(values)


# ---- labelled lines: school, contact, date -----------------------------------------------------

_SCHOOL_LABEL = re.compile(
    r"(?:院校名称|学校名称|学校全称|单位名称|填报单位|申报单位|报送单位|院校|学校)\s*"
    r"(?:\(\s*(?:盖章|公章|签章|全称)\s*\))?\s*[:：]"
)
_CONTACT_LABEL = re.compile(
    r"(?:联系人|填表人|填报人|经办人)(?:及电话|及联系方式)?\s*(?:\(\s*签字\s*\))?\s*[:：]"
)
_PHONE_LABEL = re.compile(r"(?:联系电话|办公电话|手机号码|手机号|手机|电话|联系方式)\s*[:：]")
_DATE_LABEL = re.compile(r"(?:填报日期|填表日期|报送日期|日期|时间)\s*[:：]")
_ANY_LABEL = re.compile(
    "|".join(p.pattern for p in (_SCHOOL_LABEL, _CONTACT_LABEL, _PHONE_LABEL, _DATE_LABEL))
    + r"|主管领导|负责人|签字|签名|\(盖章\)"
)
_PHONE = re.compile(r"(?:\+?86[-\s]?)?(?:1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}|0\d{2,3}[-\s]?\d{7,8}(?:-\d{1,4})?)")


def _lines(book: TableFile) -> list[str]:
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


def find_school(lines: list[str], config: RoundConfig) -> tuple[str | None, str | None]:
    names = {match_key(school.name): school.name for school in config.schools}
    names.update({match_key(alias): school.name for school in config.schools for alias in school.aliases})
    for line in lines:
        value = labelled_value(line, _SCHOOL_LABEL)
        if value:
            value = re.sub(r"\(\s*(?:盖章|公章)\s*\)", "", clean_line(value)).strip()
            return names.get(match_key(value), value), line
    for line in lines:
        found = school_in_text(line, config)
        if found:
            return found, line
    return None, None


def find_contact(lines: list[str]) -> tuple[Contact, dict[str, str]]:
    contact = Contact()
    evidence: dict[str, str] = {}
    for line in lines:
        if contact.name is None and (value := labelled_value(line, _CONTACT_LABEL)):
            phone = _PHONE.search(value)
            name = clean_line(value[: phone.start()] if phone else value).strip(" ,，、/")
            contact.name = name or None
            evidence["contact.name"] = line
            if phone and contact.phone is None:
                contact.phone = re.sub(r"\s", "", phone.group(0))
                evidence["contact.phone"] = line
        if contact.phone is None and (value := labelled_value(line, _PHONE_LABEL)):
            phone = _PHONE.search(value)
            contact.phone = re.sub(r"\s", "", phone.group(0) if phone else value)
            evidence["contact.phone"] = line
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


# ---- entry points -----------------------------------------------------------------------------


def parse_annex1(book: TableFile, config: RoundConfig) -> Annex1Parse:
    """Tables and text of one file -> Attachment 1 data. Pure: no I/O."""
    parse = Annex1Parse(data=Annex1Data())
    data = parse.data
    reader = _Reader(config, parse.evidence, parse.problems)
    sections = [section for table in book.tables for section in find_sections(table)]
    for section in sections:
        rows, total_row = _body_rows(section)
        if section.kind == "existing":
            base = len(data.existing)
            for offset, r in enumerate(rows):
                data.existing.append(
                    reader.existing_row(section, r, f"existing.{base + offset}", total=False)
                )
            if total_row is not None and data.existing_total is None:
                data.existing_total = reader.existing_row(section, total_row, "existing_total", total=True)
        else:
            base = len(data.new)
            for offset, r in enumerate(rows):
                data.new.append(reader.new_row(section, r, f"new.{base + offset}", total=False))
            if total_row is not None and data.new_total is None:
                data.new_total = reader.new_row(section, total_row, "new_total", total=True)
    if not sections:
        parse.problems.append("未找到附件1表格（已有试点情况/新申报试点情况的表头）")
    lines = _lines(book)
    data.school, where = find_school(lines, config)
    if where:
        parse.evidence["school"] = where
    contact, contact_evidence = find_contact(lines)
    data.contact = contact
    parse.evidence.update(contact_evidence)
    data.date, where = find_date(lines, config.year)
    if where:
        parse.evidence["date"] = where
    return parse


def has_annex1_table(book: TableFile) -> bool:
    return any(find_sections(table) for table in book.tables)


def extract_annex1_document(content: bytes, *, source: str, config: RoundConfig) -> DocumentResult:
    """One received Attachment 1 file -> DocumentResult. Never raises for a bad input: an
    unreadable file comes back ``failed`` with its ``file.*`` error, a readable file without the
    tables ``partial`` with ``annex1.not_found``, unreadable cells ``partial`` with one error each."""
    sha256 = hashlib.sha256(content).hexdigest()
    result = DocumentResult(source=source, sha256=sha256, kind="annex1")
    try:
        book = read_tables(content)
    except InputFileError as error:
        result.status = "failed"
        result.errors = [ProcessingError(component="reader", code=error.rule, message=str(error.args[0]))]
        return result
    try:
        parse = parse_annex1(book, config)
    except Exception as error:  # a reader bug on one odd file must not stop the whole batch
        result.status = "failed"
        result.errors = [
            ProcessingError(
                component="annex1", code="annex1.parse_error", message=f"附件1解析出错：{error!r}"
            )
        ]
        return result
    if not has_annex1_table(book):
        # No rows were read, so there is no table to check or to cross-check plans against: an
        # empty Annex1Data would tell the school rules that the school applied for nothing.
        result.errors = [
            ProcessingError(
                component="annex1",
                code="annex1.not_found",
                message="文件可以打开，但没有找到附件1院校试点信息统计表（批次/证书名称/试点规模等表头），请人工核对",
            )
        ]
        result.status = "partial"
        return result
    result.annex1 = parse.data
    result.errors = [
        ProcessingError(component="annex1", code="annex1.value_unreadable", message=problem)
        for problem in parse.problems
    ]
    result.status = "partial" if result.errors else "ok"
    return result
