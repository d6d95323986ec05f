"""The exception report: the spreadsheet reviewers work from.

One row per open problem of the current version of every submission, grouped by school,
with the authority that reviews it, so the province and each city bureau can filter out
their own schools; plus a summary, the comparison of corrected files with the ones they
replaced, the status of every received file, so nothing received goes unseen, and the log of
every e-mail with the school it was matched to.

It is written in the reviewers' words: every rule id has its Chinese name beside it, every
finding says where to look (page; sheet and row of a table; the e-mail), an e-mailed file is
named by the e-mail's sender, subject and date rather than by its mailbox file name, and all
text passes through ``review.display`` so that no character a school sent can break the file.
Reviewers print it: every sheet fits the page width, and row heights are set from the text
(LibreOffice does not fit them to wrapped text by itself), so no instruction is cut off.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checks import REGISTRY
from checks.file_rules import MANUAL_CHECK, reader_words
from checks.school_rules import certificate_in_name
from extractors.normalize import match_key
from review.archive import CROP_NAME
from review.display import display_name, display_text, local_time, received_file_name
from review.files import write_atomically
from review.models import Document, FindingChange, FindingRow, MailMessage, ReceivedFile
from review.queries import (
    UNKNOWN_SCHOOL_LABEL,
    SchoolInfo,
    all_documents,
    authority_rank,
    document_sort_key,
    finding_sort_key,
    in_authority,
    mail_receipts,
    open_school_findings,
    school_infos,
    unprocessed_receipts,
)
from schemas.round_config import RoundConfig

SHEET_FINDINGS = "问题清单"
SHEET_SUMMARY = "汇总"
SHEET_CORRECTIONS = "更正对比"
SHEET_FILES = "文件状态"
SHEET_MAIL = "收件记录"
MAIL_STATUS_LABELS = {
    "claimed": "处理中（或上次运行中断）",
    "archived": "已归档，待在邮箱中标记",
    "done": "已处理",
    "duplicate": "重复投递（已归档，未重复处理）",
}
UNKNOWN_TIME = "未知"  # the upload folder is the platform's export: its file times say nothing

FINDING_COLUMNS: tuple[tuple[str, float, bool], ...] = (
    # (header, width, wrapped)
    ("审核单位", 10, True),
    ("学校", 16, True),
    ("类型", 5, False),
    ("地市", 7, True),
    ("证书", 13, True),
    ("文件", 26, True),
    ("版本", 5, False),
    ("位置", 11, True),
    ("规则编号", 21, True),
    ("规则名称", 14, True),
    ("严重程度", 7, True),
    ("问题说明", 44, True),
    ("证据", 18, True),
)
FINDING_HEADERS = tuple(header for header, _, _ in FINDING_COLUMNS)

SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
KIND_LABELS = {"plan": "试点方案", "annex1": "附件1统计表", "other": "其他"}
STATUS_LABELS = {"ok": "正常", "partial": "部分读取", "failed": "读取失败"}

# Where to look for a school-level finding, which concerns the school's whole submission.
SCHOOL_RULE_LOCATIONS = {
    "school.annex1_missing": "附件1统计表（未收到）",
    "school.application_without_plan": "附件1新申报表",
    "school.plan_without_application": "方案的证书名称",
    "school.plan_mismatch": "方案与附件1新申报表",
    "school.late_submission": "邮件的接收时间",
    "school.duplicate_plan": "同一证书的多份方案",
    "school.not_in_round": "本轮学校名单",
}
SEAL_RULES = frozenset({"annex1.seal_missing", "annex1.seal_mismatch", "annex1.signature_missing"})
_TABLE_CELL = re.compile(r"^(?P<sheet>[^，。：；“”（）]+?)第(?P<row>\d+)行（(?P<column>[^）]+)）")
_TABLE_ROW = re.compile(r"(?P<part>已有试点|新申报)(?P<row>第\d+行|合计行)")
TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".docx", ".doc", ".et", ".wps")

# Fills reviewers know from spreadsheet conditional formatting: light red, light yellow.
ERROR_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
WARNING_FILL = PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
RESOLVED_FILL = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FF1F4E78", end_color="FF1F4E78")
SEVERITY_FILLS = {"error": ERROR_FILL, "warning": WARNING_FILL}
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
TITLE_FONT = Font(bold=True, size=12)
SMALL_FONT = Font(size=8)
THIN = Side(style="thin", color="FFBFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP = Alignment(vertical="top")
TOP_WRAP = Alignment(vertical="top", wrap_text=True)

# Row height estimate: points per line of 11 pt text (CJK glyphs need more than Latin ones),
# plus the cell's padding; a CJK character is about two column-width units wide.
BODY_POINTS = 11.0  # the workbook's default font size
LINE_POINTS = 14.5
PADDING_POINTS = 4.0
WIDE_UNITS = 1.8
NARROW_UNITS = 1.05
MAX_ROW_POINTS = 409.0  # the spreadsheet formats' limit
MAX_CELL_CHARS = 32000  # Excel keeps at most 32,767 characters in a cell


@dataclass(frozen=True)
class ReportSummary:
    """What the report contains, for the flow's log line and for tests."""

    path: Path
    open_findings: int
    errors: int
    warnings: int
    current_documents: int
    superseded_documents: int
    corrections: int
    schools_with_findings: int


@dataclass(frozen=True)
class _Issue:
    """One row of the problem list: a stored finding, or a received file not yet processed."""

    info: SchoolInfo | None
    document: Document | None
    rule: str
    severity: str
    message: str
    page: int | None
    evidence: str | None
    source: str | None  # the file a school-level finding concerns, or the unprocessed receipt
    pending: bool = False

    @classmethod
    def of(cls, info: SchoolInfo | None, document: Document | None, row: FindingRow) -> _Issue:
        return cls(info, document, row.rule, row.severity, row.message, row.page, row.evidence, row.source)


# --- text helpers --------------------------------------------------------------------------


def rule_name(rule: str) -> str:
    """The rule's Chinese name from the registry ('' for a rule no longer registered)."""
    entry = REGISTRY.get(rule)
    return entry.description if entry is not None else ""


def _units(text: str) -> float:
    """Width of one line of ``text`` in column-width units."""
    return sum(WIDE_UNITS if unicodedata.east_asian_width(c) in "WF" else NARROW_UNITS for c in text)


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes when wrapped in a column ``width`` units wide."""
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(_units(part) / usable)) for part in text.split("\n"))


def row_height(values: Sequence[Any], widths: Sequence[float], wrapped: Sequence[bool]) -> float:
    """The height (points) that shows every wrapped cell of a row in full."""
    lines = 1
    for value, width, wrap in zip(values, widths, wrapped, strict=False):
        if wrap and value is not None:
            lines = max(lines, text_lines(str(value), width))
    return min(MAX_ROW_POINTS, lines * LINE_POINTS + PADDING_POINTS)


def _cell_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    shown = display_text(value) or ""
    if len(shown) > MAX_CELL_CHARS:
        shown = shown[:MAX_CELL_CHARS] + "…（内容过长，已截断）"
    return shown


# --- formatting helpers --------------------------------------------------------------------


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write a value as data: text that starts with = stays text, never a formula."""
    cell = sheet.cell(row=row, column=column, value=_cell_text(value))
    if cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _write_header(
    sheet: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float] | None = None
) -> None:
    for column, title in enumerate(headers, start=1):
        cell = _put(sheet, row, column, title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", horizontal="center", wrap_text=True)
        cell.border = BORDER
    if widths is not None:
        sheet.row_dimensions[row].height = row_height(headers, widths, [True] * len(headers)) + 2


def _write_row(
    sheet: Worksheet,
    row: int,
    values: Sequence[Any],
    *,
    widths: Sequence[float],
    wrapped: Sequence[bool] | None = None,
    fill: PatternFill | None = None,
    small: frozenset[int] = frozenset(),
) -> None:
    flags = list(wrapped) if wrapped is not None else [False] * len(values)
    shown = [_cell_text(value) for value in values]
    for column, value in enumerate(shown, start=1):
        cell = _put(sheet, row, column, value)
        cell.alignment = TOP_WRAP if flags[column - 1] else TOP
        cell.border = BORDER
        if column - 1 in small:
            cell.font = SMALL_FONT
        if fill is not None:
            cell.fill = fill
    # Small text: more characters to a line, and lower lines, in proportion to its size.
    measured = [None if i in small else value for i, value in enumerate(shown)]
    height = row_height(measured, widths, flags)
    scale = SMALL_FONT.sz / BODY_POINTS
    for i in small:
        if shown[i] is not None and flags[i]:
            small_lines = text_lines(str(shown[i]), widths[i] / scale)
            height = max(height, small_lines * LINE_POINTS * scale + PADDING_POINTS)
    sheet.row_dimensions[row].height = min(MAX_ROW_POINTS, height)


def _set_widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _table_sheet(
    sheet: Worksheet,
    headers: Sequence[str],
    widths: Sequence[float],
    rows: Sequence[Sequence[Any]],
    wrapped: frozenset[str] = frozenset(),
    small: frozenset[str] = frozenset(),
    fills: Sequence[PatternFill | None] | None = None,
) -> None:
    """A plain table: styled header, frozen header row, auto-filter over the data."""
    _write_header(sheet, 1, headers, widths)
    wrap_flags = [header in wrapped for header in headers]
    small_columns = frozenset(i for i, header in enumerate(headers) if header in small)
    for index, values in enumerate(rows, start=2):
        fill = fills[index - 2] if fills is not None else None
        _write_row(sheet, index, values, widths=widths, wrapped=wrap_flags, fill=fill, small=small_columns)
    _set_widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"


def _print_setup(sheet: Worksheet, *, landscape: bool = True, title_rows: bool = True) -> None:
    # Reviewers print these lists: all columns on one page width, as many pages down as it
    # takes, narrow margins, the header row repeated and the page number at the foot.
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.3, right=0.3, top=0.5, bottom=0.5, header=0.2, footer=0.2)
    sheet.oddFooter.center.text = f"{sheet.title}　第 &P 页，共 &N 页"
    if title_rows:
        sheet.print_title_rows = "1:1"


# --- how things are named ------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """How the report names files and certificates: e-mails by sender, subject and date."""

    mail_by_source: dict[str, MailMessage]
    config: RoundConfig

    def file(self, source: str | None) -> str | None:
        if source is None:
            return None
        message = self.mail_by_source.get(source)
        if message is None:
            return display_name(source)
        return received_file_name(
            source,
            message_name=message.name,
            sender=message.sender,
            subject=message.subject,
            received_at=message.received_at,
        )

    def document(self, document: Document) -> str:
        received = document.received_file
        message = received.message if received is not None else None
        if message is None:
            return self.file(document.source) or ""
        return received_file_name(
            document.source,
            message_name=message.name,
            sender=message.sender,
            subject=message.subject,
            received_at=message.received_at,
        )

    def is_message(self, document: Document) -> bool:
        received = document.received_file
        return (
            received is not None and received.message is not None and received.message.name == document.source
        )

    def certificates_in(self, *texts: str | None) -> str | None:
        """The round's certificates a text names (longest names win over names inside them)."""
        haystack = match_key(" ".join(t for t in texts if t))
        if not haystack:
            return None
        found: list[str] = []
        for entry in self.config.certificates:
            keys = {match_key(entry.name), *(match_key(alias) for alias in entry.aliases)}
            if any(key and key in haystack for key in keys):
                found.append(entry.name)
        kept = [name for name in found if not any(name != other and name in other for other in found)]
        return "、".join(sorted(kept, key=lambda name: haystack.find(match_key(name)))) or None

    def certificate(self, issue: _Issue, source_document: Document | None) -> str | None:
        document = issue.document or source_document
        if document is not None and document.kind == "plan":
            data = document.data or {}
            return (
                data.get("certificate")
                or document.certificate
                or certificate_in_name(document.source, self.config)
            )
        return self.certificates_in(issue.evidence, issue.message)


def _is_table(document: Document) -> bool:
    return document.source.lower().endswith(TABLE_SUFFIXES)


def location(issue: _Issue, *, is_message: bool) -> str:
    """Where a person finds what the finding is about: a page, a sheet and row of a table,
    the e-mail, or the school's submission as a whole."""
    if issue.pending:
        return "整个文件"
    if issue.page:
        return f"第{issue.page}页"
    document = issue.document
    if document is None:
        return SCHOOL_RULE_LOCATIONS.get(issue.rule, "学校全部材料")
    if is_message:
        return "邮件本身"
    if document.kind == "annex1" or _is_table(document):
        if issue.rule in SEAL_RULES:
            return "签字盖章处"
        row = _TABLE_ROW.search(issue.message)
        if row is not None:
            return f"{row['part']}表{row['row']}"
        # A cell the reader could not read names its sheet and row: Sheet1第5行（试点规模）.
        cell = _TABLE_CELL.match(issue.message) if issue.rule == MANUAL_CHECK else None
        if cell is not None and _is_table(document):
            return f"“{cell['sheet']}”第{cell['row']}行（{cell['column']}）"
        if _is_table(document) and not issue.rule.startswith("file."):
            return "整个表格"
    return "整个文件"


# --- data gathering ------------------------------------------------------------------------


def _issue_rows(
    documents: Sequence[Document],
    infos: dict[str, SchoolInfo],
    school_findings: dict[str, list[FindingRow]],
    pending: Sequence[ReceivedFile],
) -> list[_Issue]:
    """Open findings of current documents plus school-level ones: by reviewing authority,
    then school (unidentified last), school-level first, then documents by source; files
    received but not processed yet come last, so that a reviewer sees them too."""
    current = [d for d in documents if d.superseded_by_id is None]
    by_school: dict[str | None, list[Document]] = {}
    for document in current:
        by_school.setdefault(document.school.name if document.school else None, []).append(document)
    # Grouped by reviewing authority (province, then each city bureau), so each can take its part.
    names = sorted(
        set(by_school) - {None} | set(school_findings),
        key=lambda n: (authority_rank(infos.get(n or "")), n or ""),
    )
    rows: list[_Issue] = []
    for name in [*names, None]:
        info = infos.get(name) if name is not None else None
        if name is not None:
            rows.extend(_Issue.of(info, None, finding) for finding in school_findings.get(name, []))
        for document in by_school.get(name, []):  # already sorted by source, version
            open_rows = sorted((f for f in document.findings if f.status == "open"), key=finding_sort_key)
            rows.extend(_Issue.of(info, document, finding) for finding in open_rows)
    for receipt in pending:
        school = receipt.message.school.name if receipt.message and receipt.message.school else None
        rows.append(
            _Issue(
                infos.get(school) if school else None,
                None,
                MANUAL_CHECK,
                "warning",
                "文件已收到并归档，但尚未识别和检查（正在处理，或上次运行中断）：再次运行处理即可补上；"
                "如仍未处理，请联系系统管理员。",
                None,
                None,
                receipt.source,
                pending=True,
            )
        )
    return rows


def _issue_values(issue: _Issue, names: _Names, documents_by_source: dict[str, Document]) -> list[Any]:
    info, document = issue.info, issue.document
    school = document.school.name if document and document.school else (info.name if info else None)
    concerned = documents_by_source.get(issue.source or "") if document is None else None
    shown_file: str | None
    if document is not None:
        shown_file = names.document(document)
    elif concerned is not None:
        shown_file = names.document(concerned)
    elif issue.source:
        shown_file = names.file(issue.source)
    else:
        shown_file = "（学校层面）"
    return [
        info.authority_label if info else "待确定",
        school or UNKNOWN_SCHOOL_LABEL,
        info.type if info else None,
        info.city if info else None,
        names.certificate(issue, concerned),
        shown_file,
        document.version if document else None,
        location(issue, is_message=document is not None and names.is_message(document)),
        issue.rule,
        rule_name(issue.rule),
        SEVERITY_LABELS.get(issue.severity, issue.severity),
        issue.message,
        issue.evidence,
    ]


# --- sheets --------------------------------------------------------------------------------


CROP_LABEL = "截图（点击打开原图）"
CROP_THUMB_PX = (120, 110)  # fits the evidence column


def _show_crop(sheet: Worksheet, row: int, column: int, crop: Path, report_dir: Path) -> None:
    """The crop as a thumbnail in the evidence cell, and the cell a link to the PNG."""
    cell = sheet.cell(row=row, column=column)
    cell.value = CROP_LABEL
    cell.hyperlink = os.path.relpath(crop, report_dir)
    picture = SheetImage(str(crop))
    scale = min(1.0, CROP_THUMB_PX[0] / max(1, picture.width), CROP_THUMB_PX[1] / max(1, picture.height))
    picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
    sheet.add_image(picture, f"{get_column_letter(column)}{row}")
    # The thumbnail sits below the label: the row grows to hold both (pixels are 0.75 points).
    needed = picture.height * 0.75 + 2 * LINE_POINTS
    if (sheet.row_dimensions[row].height or 0) < needed:
        sheet.row_dimensions[row].height = needed


def _findings_sheet(
    sheet: Worksheet,
    issues: Sequence[_Issue],
    names: _Names,
    documents: Sequence[Document],
    crops: tuple[Path, Path] | None = None,
) -> None:
    """``crops`` is (archive root, report folder): evidence crops are shown and linked."""
    widths = [width for _, width, _ in FINDING_COLUMNS]
    flags = [wrap for _, _, wrap in FINDING_COLUMNS]
    current = {d.source: d for d in documents if d.superseded_by_id is None}
    _write_header(sheet, 1, FINDING_HEADERS, widths)
    for index, issue in enumerate(issues, start=2):
        _write_row(
            sheet,
            index,
            _issue_values(issue, names, current),
            widths=widths,
            wrapped=flags,
            fill=SEVERITY_FILLS.get(issue.severity),
        )
        if crops is not None and issue.evidence and CROP_NAME.match(issue.evidence):
            crop = crops[0] / issue.evidence
            if crop.is_file():
                _show_crop(sheet, index, len(FINDING_HEADERS), crop, crops[1])
    _set_widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FINDING_HEADERS))}{max(1, len(issues) + 1)}"
    _print_setup(sheet)


SUMMARY_WIDTHS = (34, 40, 12, 8, 8, 8)


def _summary_sheet(
    sheet: Worksheet,
    issues: Sequence[_Issue],
    infos: dict[str, SchoolInfo],
    documents: Sequence[Document],
) -> None:
    widths = SUMMARY_WIDTHS
    row = 1
    sheet.cell(row=row, column=1, value="按规则统计").font = TITLE_FONT
    row += 1
    _write_header(sheet, row, ("规则编号", "规则名称", "严重程度", "数量"), widths)
    rule_counts = Counter((i.rule, i.severity) for i in issues)
    # Most frequent first: what to fix in the notice or the template next round.
    for (rule, severity), count in sorted(rule_counts.items(), key=lambda item: (-item[1], item[0])):
        row += 1
        _write_row(
            sheet,
            row,
            [rule, rule_name(rule) or None, SEVERITY_LABELS.get(severity, severity), count],
            widths=widths,
            wrapped=[True, True, False, False],
            fill=SEVERITY_FILLS.get(severity),
        )
    row += 1
    _write_row(sheet, row, ["合计", None, None, len(issues)], widths=widths)
    sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet.cell(row=row, column=4).font = Font(bold=True)

    row += 2
    sheet.cell(row=row, column=1, value="按审核单位统计").font = TITLE_FONT
    row += 1
    _write_header(sheet, row, ("审核单位", "学校数", "有错误的学校", "错误", "警告"), widths)
    by_authority: dict[str, list[SchoolInfo]] = {}
    for info in sorted(infos.values(), key=lambda i: (authority_rank(i), i.name)):
        by_authority.setdefault(info.authority_label, []).append(info)
    for label, members in by_authority.items():
        member_names = {m.name for m in members}
        member_issues = [i for i in issues if i.info is not None and i.info.name in member_names]
        row += 1
        _write_row(
            sheet,
            row,
            [
                label,
                len(members),
                len({i.info.name for i in member_issues if i.info and i.severity == "error"}),
                sum(1 for i in member_issues if i.severity == "error"),
                sum(1 for i in member_issues if i.severity == "warning"),
            ],
            widths=widths,
        )

    row += 2
    sheet.cell(row=row, column=1, value="按学校统计").font = TITLE_FONT
    row += 1
    _write_header(sheet, row, ("学校", "审核单位", "类型", "错误", "警告", "文件数"), widths)
    errors = Counter(i.info.name for i in issues if i.info and i.severity == "error")
    warnings = Counter(i.info.name for i in issues if i.info and i.severity == "warning")
    current_docs = Counter(
        d.school.name for d in documents if d.school is not None and d.superseded_by_id is None
    )
    # Schools with the most errors first; schools with no documents at all stand out with 0.
    ranked = sorted(infos.values(), key=lambda i: (-errors[i.name], -warnings[i.name], i.name))
    for info in ranked:
        row += 1
        fill = ERROR_FILL if errors[info.name] else (WARNING_FILL if warnings[info.name] else None)
        values = [
            info.name if info.known else f"{info.name}（未在名单中）",
            info.authority_label,
            info.type,
            errors[info.name],
            warnings[info.name],
            current_docs[info.name],
        ]
        _write_row(sheet, row, values, widths=widths, wrapped=[True, True] + [False] * 4, fill=fill)
    unidentified = [i for i in issues if i.info is None]
    if unidentified or any(d.school is None and d.superseded_by_id is None for d in documents):
        row += 1
        _write_row(
            sheet,
            row,
            [
                UNKNOWN_SCHOOL_LABEL,
                "待确定",
                None,
                sum(1 for i in unidentified if i.severity == "error"),
                sum(1 for i in unidentified if i.severity == "warning"),
                sum(1 for d in documents if d.school is None and d.superseded_by_id is None),
            ],
            widths=widths,
        )
    _set_widths(sheet, widths)
    _print_setup(sheet, landscape=False, title_rows=False)


def _finding_line(row: FindingRow) -> str:
    """A finding in one line for the comparison sheet: its rule's name, never its id."""
    page = f"（第{row.page}页）" if row.page else ""
    name = rule_name(row.rule)
    return f"{name}：{row.message}{page}" if name else f"{row.message}{page}"


CORRECTION_HEADERS = (
    "学校",
    "文件",
    "版本",
    "已更正",
    "仍存在",
    "新问题",
    "已更正的问题",
    "仍存在的问题",
    "新出现的问题",
)
CORRECTION_WIDTHS = (16, 28, 11, 6, 6, 6, 40, 40, 40)


def _corrections(session: Session, documents: Sequence[Document], names: _Names) -> list[list[Any]]:
    by_id = {d.id: d for d in documents}
    changes = [
        change
        for change in session.scalars(
            select(FindingChange).options(
                selectinload(FindingChange.old_finding), selectinload(FindingChange.new_finding)
            )
        )
        if change.document_id in by_id  # a report for one authority shows only its schools
    ]
    grouped: dict[tuple[int, int], dict[str, list[FindingRow]]] = {}
    for change in changes:
        lists = grouped.setdefault(
            (change.document_id, change.previous_document_id), {"resolved": [], "still_open": [], "new": []}
        )
        finding = change.old_finding if change.change == "resolved" else change.new_finding
        if finding is not None:
            lists[change.change].append(finding)
    # Every superseding document gets a row, also when neither version had findings.
    for old in documents:
        if old.superseded_by_id is not None:
            grouped.setdefault((old.superseded_by_id, old.id), {"resolved": [], "still_open": [], "new": []})
    rows: list[list[Any]] = []
    ordered = sorted(
        (item for item in grouped.items() if item[0][0] in by_id and item[0][1] in by_id),
        key=lambda item: document_sort_key(by_id[item[0][0]]),
    )
    for (new_id, old_id), lists in ordered:
        new, old = by_id[new_id], by_id[old_id]
        details = {
            k: "\n".join(_finding_line(f) for f in sorted(v, key=finding_sort_key)) for k, v in lists.items()
        }
        new_name = names.document(new)
        rows.append(
            [
                new.school.name if new.school else UNKNOWN_SCHOOL_LABEL,
                new_name if new.source == old.source else f"{names.document(old)}\n→ {new_name}",
                f"第{old.version}版 → 第{new.version}版",
                len(lists["resolved"]),
                len(lists["still_open"]),
                len(lists["new"]),
                details["resolved"] or None,
                details["still_open"] or None,
                details["new"] or None,
            ]
        )
    return rows


FILE_HEADERS = (
    "学校",
    "文件",
    "类别",
    "处理状态",
    "说明",
    "页数",
    "版本",
    "版本状态",
    "未解决问题",
    "接收时间",
    "SHA-256",
)
FILE_WIDTHS = (16, 32, 10, 9, 34, 5, 5, 12, 7, 16, 22)


def _status_label(document: Document) -> str:
    codes = {error.code for error in document.errors}
    if document.status == "failed" and codes == {"ocr.required"}:
        return "扫描件，未识别"
    return STATUS_LABELS.get(document.status, document.status)


def _why(document: Document) -> str | None:
    """Why a file was not read or checked in full, in the reader's words; None when it was."""
    notes: list[str] = []
    for error in document.errors:
        note = reader_words(error.message)
        if note and note not in notes:
            notes.append(note)
    return "；\n".join(notes) or None


def _received_time(received: ReceivedFile | None) -> str | None:
    if received is None:
        return None
    if received.message_id is None:
        return UNKNOWN_TIME
    return local_time(received.received_at)


def _files_rows(
    documents: Sequence[Document], pending: Sequence[ReceivedFile], names: _Names
) -> list[list[Any]]:
    by_id = {d.id: d for d in documents}
    rows: list[list[Any]] = []
    for document in documents:
        successor = by_id.get(document.superseded_by_id) if document.superseded_by_id else None
        rows.append(
            [
                document.school.name if document.school else UNKNOWN_SCHOOL_LABEL,
                names.document(document),
                KIND_LABELS.get(document.kind, document.kind),
                _status_label(document),
                _why(document),
                document.page_count or None,  # a table or an e-mail has no pages
                document.version,
                f"已被第{successor.version}版替代" if successor else "当前版本",
                # Open problems of a superseded version live on in its successor; counting them
                # here too would suggest there is more to fix than there is.
                None if successor else sum(1 for f in document.findings if f.status == "open"),
                _received_time(document.received_file),
                document.sha256,
            ]
        )
    for receipt in pending:
        school = receipt.message.school.name if receipt.message and receipt.message.school else None
        rows.append(
            [
                school or UNKNOWN_SCHOOL_LABEL,
                names.file(receipt.source),
                None,
                "未处理",
                "已收到并归档，尚未识别和检查",
                None,
                None,
                None,
                None,
                _received_time(receipt),
                receipt.sha256,
            ]
        )
    return rows


MAIL_HEADERS = (
    "接收时间",
    "发件人",
    "主题",
    "学校",
    "学校识别依据",
    "附件数",
    "状态",
    "邮件问题",
    "存档邮件文件",
)
MAIL_WIDTHS = (16, 24, 34, 16, 12, 6, 12, 30, 28)


def _mail_rows(session: Session, schools: set[str] | None) -> list[list[Any]]:
    """Every e-mail taken in: who sent it, which school it was matched to and by which clue, so
    a reviewer can check a wrong or missing match (an unknown sender is never dropped)."""
    rows: list[list[Any]] = []
    messages = session.scalars(
        select(MailMessage)
        .options(selectinload(MailMessage.school))
        .order_by(MailMessage.received_at, MailMessage.id)
    )
    for message in messages:
        school = message.school.name if message.school else None
        if schools is not None and school not in schools:
            continue
        rows.append(
            [
                local_time(message.received_at) if message.received_at else UNKNOWN_TIME,
                display_name(message.sender) if message.sender else None,
                display_name(message.subject) if message.subject else None,
                school or UNKNOWN_SCHOOL_LABEL,
                message.school_evidence or "未能识别",
                message.attachment_count,
                MAIL_STATUS_LABELS.get(message.status, message.status),
                "\n".join(message.problems) or None,
                display_name(message.name),
            ]
        )
    return rows


def write_exception_report(
    session: Session,
    config: RoundConfig,
    path: Path,
    *,
    authority: str | None = None,
    archive_dir: Path | None = None,
) -> ReportSummary:
    """Write the exception report workbook to ``path`` (replaced atomically). With
    ``authority`` ("province" or a city such as 长沙市) only the schools that authority
    reviews are in it, so each city bureau gets just its own 中职 schools. With
    ``archive_dir`` the seal and signature crops a finding names are shown and linked."""
    documents = all_documents(session)
    infos = school_infos(session, config)
    school_findings = open_school_findings(session)
    # Files received but not processed yet belong to no school's report: only the full one.
    pending = unprocessed_receipts(session) if authority is None else []
    if authority is not None:
        infos = {name: info for name, info in infos.items() if in_authority(info, authority)}
        documents = [d for d in documents if d.school is not None and d.school.name in infos]
        school_findings = {name: rows for name, rows in school_findings.items() if name in infos}
    names = _Names(mail_receipts(session), config)
    issues = _issue_rows(documents, infos, school_findings, pending)

    workbook = Workbook()
    findings_sheet = workbook.active
    assert findings_sheet is not None  # a new workbook always has one sheet
    findings_sheet.title = SHEET_FINDINGS
    crops = (Path(archive_dir), Path(path).resolve().parent) if archive_dir is not None else None
    _findings_sheet(findings_sheet, issues, names, documents, crops)
    _summary_sheet(workbook.create_sheet(SHEET_SUMMARY), issues, infos, documents)

    corrections = _corrections(session, documents, names)
    corrections_sheet = workbook.create_sheet(SHEET_CORRECTIONS)
    _table_sheet(
        corrections_sheet,
        CORRECTION_HEADERS,
        CORRECTION_WIDTHS,
        corrections,
        wrapped=frozenset({"学校", "文件", "版本", "已更正的问题", "仍存在的问题", "新出现的问题"}),
        # Green when the correction fixed everything and added nothing.
        fills=[RESOLVED_FILL if values[4] == 0 and values[5] == 0 else None for values in corrections],
    )
    _print_setup(corrections_sheet)

    files_sheet = workbook.create_sheet(SHEET_FILES)
    _table_sheet(
        files_sheet,
        FILE_HEADERS,
        FILE_WIDTHS,
        _files_rows(documents, pending, names),
        wrapped=frozenset({"学校", "文件", "处理状态", "说明", "版本状态", "SHA-256"}),
        small=frozenset({"SHA-256"}),
    )
    _print_setup(files_sheet)

    mail_sheet = workbook.create_sheet(SHEET_MAIL)
    _table_sheet(
        mail_sheet,
        MAIL_HEADERS,
        MAIL_WIDTHS,
        _mail_rows(session, set(infos) if authority is not None else None),
        wrapped=frozenset({"发件人", "主题", "学校", "学校识别依据", "状态", "邮件问题", "存档邮件文件"}),
    )
    _print_setup(mail_sheet)

    path = Path(path)
    write_atomically(path, workbook.save, suffix=".xlsx")

    return ReportSummary(
        path=path,
        open_findings=len(issues),
        errors=sum(1 for i in issues if i.severity == "error"),
        warnings=sum(1 for i in issues if i.severity == "warning"),
        current_documents=sum(1 for d in documents if d.superseded_by_id is None),
        superseded_documents=sum(1 for d in documents if d.superseded_by_id is not None),
        corrections=len(corrections),
        schools_with_findings=len({i.info.name for i in issues if i.info}),
    )
