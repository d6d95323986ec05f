"""One received spreadsheet or Word file -> Attachment 1 data, or the verdict that it is none.

Schools attach more than Attachment 1 to their e-mails: a teachers' list, an exam timetable,
a sign-in sheet. Those are listed as kind ``other``: an empty Attachment 1 made of them would
tell the school rules that the school sent its table and applied for nothing, and hide the
``school.annex1_missing`` a school that never sent one must get. A file titled as Attachment 1
whose tables cannot be found stays an Attachment 1 with ``annex1.not_found`` for a reviewer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from extractors.annex1.form import find_contact, find_date, find_school, form_lines, is_annex1_title
from extractors.annex1.headers import (
    COUNT_FIELDS,
    EXISTING_FIELDS,
    MONEY_FIELDS,
    NEW_FIELDS,
)
from extractors.annex1.sections import Section, body_rows, find_sections
from extractors.annex1.values import (
    carryover,
    certificate_lookup,
    is_placeholder,
    normalise_batch,
    normalise_certificate,
    normalise_level,
    parse_count_cell,
    parse_money_cell,
)
from extractors.budget import Deadline
from extractors.errors import InputFileError
from extractors.formulas import formula_value
from extractors.tables import TableFile, read_tables
from schemas.annex1 import Annex1Data, ExistingPilotRow, NewApplicationRow
from schemas.document import DocumentResult, ProcessingError
from schemas.limits import DEFAULT_LIMITS, Limits
from schemas.round_config import RoundConfig

# In a pilot row a blank 已完成考核 or 已缴 cell is how schools write "none yet": it reads as 0,
# as the reviewer reads it. A blank 应缴 or 规模 stays unknown (0 would invent an overpayment).
_BLANK_IS_ZERO = ("completed", "fee_paid_wan")
_TITLE_ROWS = 8


@dataclass
class Annex1Parse:
    """What was read, where each value came from (field path -> location and cell text), and
    what could not be read."""

    data: Annex1Data
    evidence: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


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

    def _blank(self, section: Section, row: int, name: str) -> bool:
        column = section.columns.get(name)
        return column is not None and is_placeholder(section.table.cell(row, column))

    def existing_row(self, section: Section, row: int, path: str, *, total: bool) -> ExistingPilotRow:
        names = ("scale", "completed", "fee_due_wan", "fee_paid_wan") if total else EXISTING_FIELDS
        values = {name: self.value(section, row, name, f"{path}.{name}") for name in names}
        if not total and values.get("certificate"):
            for name in _BLANK_IS_ZERO:
                if values[name] is None and self._blank(section, row, name):
                    values[name] = 0.0 if name in MONEY_FIELDS else 0
        parsed = ExistingPilotRow.model_validate(values)
        if not total:
            parsed.carryover = carryover(parsed.batch, parsed.scale, parsed.completed, self.config)
        return parsed

    def new_row(self, section: Section, row: int, path: str, *, total: bool) -> NewApplicationRow:
        names = ("scale",) if total else NEW_FIELDS
        values = {name: self.value(section, row, name, f"{path}.{name}") for name in names}
        return NewApplicationRow.model_validate(values)


def _read_section(reader: _Reader, section: Section, data: Annex1Data) -> None:
    rows, total_row = body_rows(section)
    if section.kind == "existing":
        base = len(data.existing)
        for offset, r in enumerate(rows):
            data.existing.append(reader.existing_row(section, r, f"existing.{base + offset}", total=False))
        if total_row is not None and data.existing_total is None:
            data.existing_total = reader.existing_row(section, total_row, "existing_total", total=True)
    else:
        base = len(data.new)
        for offset, r in enumerate(rows):
            data.new.append(reader.new_row(section, r, f"new.{base + offset}", total=False))
        if total_row is not None and data.new_total is None:
            data.new_total = reader.new_row(section, total_row, "new_total", total=True)


def parse_annex1(book: TableFile, config: RoundConfig) -> Annex1Parse:
    """Tables and text of one file -> Attachment 1 data. Pure: no I/O."""
    parse = Annex1Parse(data=Annex1Data())
    data = parse.data
    reader = _Reader(config, parse.evidence, parse.problems)
    sections = [section for table in book.tables for section in find_sections(table)]
    for section in sections:
        _read_section(reader, section, data)
    if not sections:
        parse.problems.append("未找到附件1表格（已有试点情况/新申报试点情况的表头）")
    lines = form_lines(book)
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
    """An existing-pilots table (a 批次 column) or a new-applications table (a 规模/人数 column)
    under an Attachment 1 header."""
    return any(
        "batch" in section.columns or "scale" in section.columns
        for table in book.tables
        for section in find_sections(table)
    )


def has_annex1_title(book: TableFile) -> bool:
    """院校试点信息统计表 in the first lines of a sheet or of the document."""
    heads = [line for table in book.tables for row in table.rows[:_TITLE_ROWS] for line in row if line]
    heads.extend(book.paragraphs[:_TITLE_ROWS] or book.text.splitlines()[:_TITLE_ROWS])
    return any(is_annex1_title(text) for text in heads)


def extract_annex1_document(
    content: bytes,
    *,
    source: str,
    config: RoundConfig,
    limits: Limits = DEFAULT_LIMITS,
    deadline: Deadline | None = None,
) -> DocumentResult:
    """One received Attachment 1 file -> DocumentResult. Never raises for a bad input: an
    unreadable file, or one past a limit (rows, columns, size), comes back ``failed`` with its
    ``file.*`` error; a readable file without
    the tables ``partial`` with ``annex1.not_found``, as kind ``annex1`` when it is titled as
    Attachment 1 and kind ``other`` when it is some other table; unreadable cells ``partial``
    with one error each."""
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        book = read_tables(content, limits, deadline)
    except InputFileError as error:
        return DocumentResult.unreadable(
            source=source, sha256=sha256, kind="annex1", rule=error.rule, message=str(error.args[0])
        )
    result = DocumentResult(source=source, sha256=sha256, kind="annex1")
    try:
        parse = parse_annex1(book, config)
        found = has_annex1_table(book)
        titled = found or has_annex1_title(book)
    except Exception as error:  # a reader bug on one odd file must not stop the whole batch
        result.status = "failed"
        result.errors = [
            ProcessingError(
                component="annex1", code="annex1.parse_error", message=f"附件1解析出错：{error!r}"
            )
        ]
        return result
    if not found:
        # No rows were read, so there is no table to check or to cross-check plans against: an
        # empty Annex1Data would tell the school rules that the school applied for nothing.
        message = (
            "文件可以打开，标题是附件1院校试点信息统计表，但没有找到其中的表格（批次/证书名称/试点规模等表头），请人工核对"
            if titled
            else "文件可以打开，但不是附件1院校试点信息统计表（没有批次/证书名称/试点规模等表头），已作为其他文件列出"
        )
        result.kind = "annex1" if titled else "other"
        result.errors = [ProcessingError(component="annex1", code="annex1.not_found", message=message)]
        result.status = "partial"
        return result
    result.annex1 = parse.data
    result.errors = [
        ProcessingError(component="annex1", code="annex1.value_unreadable", message=problem)
        for problem in parse.problems
    ]
    result.status = "partial" if result.errors else "ok"
    return result
