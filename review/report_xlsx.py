"""The exception report: the spreadsheet reviewers work from.

One row per open problem of the current version of every submission, grouped by school,
with the authority that reviews it, so the province and each city bureau can filter out
their own schools; plus a summary, the comparison of corrected files with the ones they
replaced, the status of every received file, so nothing received goes unseen, and the log of
every e-mail with the school it was matched to.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checks import REGISTRY
from review.files import write_atomically
from review.models import Document, FindingChange, FindingRow, MailMessage
from review.queries import (
    UNKNOWN_SCHOOL_LABEL,
    SchoolInfo,
    all_documents,
    authority_rank,
    document_sort_key,
    finding_sort_key,
    in_authority,
    open_school_findings,
    school_infos,
    unprocessed_receipts,
)
from review.store import as_utc
from schemas.round_config import RoundConfig

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")

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

FINDING_HEADERS = (
    "审核单位",
    "学校",
    "类型",
    "地市",
    "文件",
    "版本",
    "页码",
    "规则编号",
    "严重程度",
    "问题说明",
    "证据",
)
FINDING_WIDTHS = (14, 26, 7, 10, 40, 6, 6, 28, 9, 60, 40)
FINDING_WRAPPED = frozenset({"文件", "问题说明", "证据"})

SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
KIND_LABELS = {"plan": "试点方案", "annex1": "附件1统计表", "other": "其他"}
STATUS_LABELS = {"ok": "正常", "partial": "部分读取", "failed": "读取失败"}

# Fills reviewers know from spreadsheet conditional formatting: light red, light yellow.
ERROR_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
WARNING_FILL = PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
RESOLVED_FILL = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FF1F4E78", end_color="FF1F4E78")
SEVERITY_FILLS = {"error": ERROR_FILL, "warning": WARNING_FILL}
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
TITLE_FONT = Font(bold=True, size=12)
THIN = Side(style="thin", color="FFBFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP = Alignment(vertical="top")
TOP_WRAP = Alignment(vertical="top", wrap_text=True)


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
class _IssueRow:
    info: SchoolInfo | None
    document: Document | None
    finding: FindingRow


# --- formatting helpers --------------------------------------------------------------------


def _write_header(sheet: Worksheet, row: int, headers: Sequence[str]) -> None:
    for column, title in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", horizontal="center", wrap_text=True)
        cell.border = BORDER


def _write_row(
    sheet: Worksheet,
    row: int,
    values: Sequence[Any],
    *,
    wrapped: Sequence[bool] | None = None,
    fill: PatternFill | None = None,
) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.alignment = TOP_WRAP if wrapped and wrapped[column - 1] else TOP
        cell.border = BORDER
        if fill is not None:
            cell.fill = fill


def _set_widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _table_sheet(
    sheet: Worksheet,
    headers: Sequence[str],
    widths: Sequence[float],
    rows: Sequence[Sequence[Any]],
    wrapped: frozenset[str] = frozenset(),
) -> None:
    """A plain table: styled header, frozen header row, auto-filter over the data."""
    _write_header(sheet, 1, headers)
    wrap_flags = [header in wrapped for header in headers]
    for index, values in enumerate(rows, start=2):
        _write_row(sheet, index, values, wrapped=wrap_flags)
    _set_widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"


def _landscape(sheet: Worksheet) -> None:
    # Reviewers print these lists: landscape, all columns on one page width, header repeated.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _local_time(value: dt.datetime) -> str:
    """Beijing time, as the office reads it; stored times are UTC (naive on SQLite)."""
    return as_utc(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _finding_line(row: FindingRow) -> str:
    page = f"（第{row.page}页）" if row.page else ""
    return f"{row.rule}：{row.message}{page}"


# --- data gathering ------------------------------------------------------------------------


def _issue_rows(
    documents: Sequence[Document], infos: dict[str, SchoolInfo], school_findings: dict[str, list[FindingRow]]
) -> list[_IssueRow]:
    """Open findings of current documents plus school-level ones: by school (unidentified
    last), school-level first, then documents by source."""
    current = [d for d in documents if d.superseded_by_id is None]
    by_school: dict[str | None, list[Document]] = {}
    for document in current:
        by_school.setdefault(document.school.name if document.school else None, []).append(document)
    # Grouped by reviewing authority (province, then each city bureau), so each can take its part.
    names = sorted(
        set(by_school) - {None} | set(school_findings),
        key=lambda n: (authority_rank(infos.get(n or "")), n or ""),
    )
    rows: list[_IssueRow] = []
    for name in [*names, None]:
        info = infos.get(name) if name is not None else None
        if name is not None:
            rows.extend(_IssueRow(info, None, finding) for finding in school_findings.get(name, []))
        for document in by_school.get(name, []):  # already sorted by source, version
            open_rows = sorted((f for f in document.findings if f.status == "open"), key=finding_sort_key)
            rows.extend(_IssueRow(info, document, finding) for finding in open_rows)
    return rows


def _issue_values(issue: _IssueRow) -> list[Any]:
    info, document, finding = issue.info, issue.document, issue.finding
    school = document.school.name if document and document.school else (info.name if info else None)
    return [
        info.authority_label if info else "待确定",
        school or UNKNOWN_SCHOOL_LABEL,
        info.type if info else None,
        info.city if info else None,
        document.source if document else (finding.source or "（学校层面）"),
        document.version if document else None,
        finding.page,
        finding.rule,
        SEVERITY_LABELS.get(finding.severity, finding.severity),
        finding.message,
        finding.evidence,
    ]


# --- sheets --------------------------------------------------------------------------------


def _findings_sheet(sheet: Worksheet, issues: Sequence[_IssueRow]) -> None:
    _write_header(sheet, 1, FINDING_HEADERS)
    wrap_flags = [header in FINDING_WRAPPED for header in FINDING_HEADERS]
    for index, issue in enumerate(issues, start=2):
        _write_row(
            sheet,
            index,
            _issue_values(issue),
            wrapped=wrap_flags,
            fill=SEVERITY_FILLS.get(issue.finding.severity),
        )
    _set_widths(sheet, FINDING_WIDTHS)
    sheet.row_dimensions[1].height = 22
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FINDING_HEADERS))}{max(1, len(issues) + 1)}"
    _landscape(sheet)


def _summary_sheet(
    sheet: Worksheet,
    issues: Sequence[_IssueRow],
    infos: dict[str, SchoolInfo],
    documents: Sequence[Document],
) -> None:
    row = 1
    sheet.cell(row=row, column=1, value="按规则统计").font = TITLE_FONT
    row += 1
    _write_header(sheet, row, ("规则编号", "说明", "严重程度", "数量"))
    rule_counts = Counter((i.finding.rule, i.finding.severity) for i in issues)
    first_message: dict[str, str] = {}
    for issue in issues:
        first_message.setdefault(issue.finding.rule, issue.finding.message)
    # Most frequent first: what to fix in the notice or the template next round.
    for (rule, severity), count in sorted(rule_counts.items(), key=lambda item: (-item[1], item[0])):
        row += 1
        _write_row(
            sheet,
            row,
            [
                rule,
                REGISTRY[rule].description if rule in REGISTRY else first_message[rule],
                SEVERITY_LABELS.get(severity, severity),
                count,
            ],
            wrapped=[False, True, False, False],
            fill=SEVERITY_FILLS.get(severity),
        )
    row += 1
    _write_row(sheet, row, ["合计", None, None, len(issues)])
    sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet.cell(row=row, column=4).font = Font(bold=True)

    row += 2
    sheet.cell(row=row, column=1, value="按审核单位统计").font = TITLE_FONT
    row += 1
    _write_header(sheet, row, ("审核单位", "学校数", "有错误的学校", "错误", "警告"))
    by_authority: dict[str, list[SchoolInfo]] = {}
    for info in sorted(infos.values(), key=lambda i: (authority_rank(i), i.name)):
        by_authority.setdefault(info.authority_label, []).append(info)
    for label, members in by_authority.items():
        names = {m.name for m in members}
        member_issues = [i for i in issues if i.info is not None and i.info.name in names]
        row += 1
        _write_row(
            sheet,
            row,
            [
                label,
                len(members),
                len({i.info.name for i in member_issues if i.info and i.finding.severity == "error"}),
                sum(1 for i in member_issues if i.finding.severity == "error"),
                sum(1 for i in member_issues if i.finding.severity == "warning"),
            ],
        )

    row += 2
    sheet.cell(row=row, column=1, value="按学校统计").font = TITLE_FONT
    row += 1
    _write_header(sheet, row, ("学校", "审核单位", "类型", "错误", "警告", "文件数"))
    errors = Counter(i.info.name for i in issues if i.info and i.finding.severity == "error")
    warnings = Counter(i.info.name for i in issues if i.info and i.finding.severity == "warning")
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
        _write_row(sheet, row, values, fill=fill)
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
                sum(1 for i in unidentified if i.finding.severity == "error"),
                sum(1 for i in unidentified if i.finding.severity == "warning"),
                sum(1 for d in documents if d.school is None and d.superseded_by_id is None),
            ],
        )
    _set_widths(sheet, (28, 44, 8, 8, 8, 8))


def _corrections(session: Session, documents: Sequence[Document]) -> list[list[Any]]:
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
    ordered = sorted(grouped.items(), key=lambda item: document_sort_key(by_id[item[0][0]]))
    for (new_id, old_id), lists in ordered:
        new, old = by_id[new_id], by_id[old_id]
        details = {
            k: "\n".join(_finding_line(f) for f in sorted(v, key=finding_sort_key)) for k, v in lists.items()
        }
        rows.append(
            [
                new.school.name if new.school else UNKNOWN_SCHOOL_LABEL,
                new.source if new.source == old.source else f"{old.source}\n→ {new.source}",
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


def _files_rows(session: Session, documents: Sequence[Document], *, everything: bool) -> list[list[Any]]:
    by_id = {d.id: d for d in documents}
    rows: list[list[Any]] = []
    for document in documents:
        successor = by_id.get(document.superseded_by_id) if document.superseded_by_id else None
        received = document.received_file
        rows.append(
            [
                document.school.name if document.school else UNKNOWN_SCHOOL_LABEL,
                document.source,
                KIND_LABELS.get(document.kind, document.kind),
                STATUS_LABELS.get(document.status, document.status),
                document.page_count,
                document.version,
                f"已被第{successor.version}版替代" if successor else "当前版本",
                # Open problems of a superseded version live on in its successor; counting them
                # here too would suggest there is more to fix than there is.
                None if successor else sum(1 for f in document.findings if f.status == "open"),
                _local_time(received.received_at) if received else None,
                document.sha256,
            ]
        )
    for receipt in unprocessed_receipts(session) if everything else []:
        rows.append(
            [
                UNKNOWN_SCHOOL_LABEL,
                receipt.source,
                None,
                "未处理",
                None,
                None,
                None,
                None,
                _local_time(receipt.received_at),
                receipt.sha256,
            ]
        )
    return rows


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
                _local_time(message.received_at) if message.received_at else None,
                message.sender,
                message.subject,
                school or UNKNOWN_SCHOOL_LABEL,
                message.school_evidence or "未能识别",
                message.attachment_count,
                MAIL_STATUS_LABELS.get(message.status, message.status),
                "\n".join(message.problems) or None,
                message.name,
            ]
        )
    return rows


def write_exception_report(
    session: Session, config: RoundConfig, path: Path, *, authority: str | None = None
) -> ReportSummary:
    """Write the exception report workbook to ``path`` (replaced atomically). With
    ``authority`` ("province" or a city such as 长沙市) only the schools that authority
    reviews are in it, so each city bureau gets just its own 中职 schools."""
    documents = all_documents(session)
    infos = school_infos(session, config)
    school_findings = open_school_findings(session)
    if authority is not None:
        infos = {name: info for name, info in infos.items() if in_authority(info, authority)}
        documents = [d for d in documents if d.school is not None and d.school.name in infos]
        school_findings = {name: rows for name, rows in school_findings.items() if name in infos}
    issues = _issue_rows(documents, infos, school_findings)

    workbook = Workbook()
    findings_sheet = workbook.active
    assert findings_sheet is not None  # a new workbook always has one sheet
    findings_sheet.title = SHEET_FINDINGS
    _findings_sheet(findings_sheet, issues)
    _summary_sheet(workbook.create_sheet(SHEET_SUMMARY), issues, infos, documents)

    corrections = _corrections(session, documents)
    corrections_sheet = workbook.create_sheet(SHEET_CORRECTIONS)
    _table_sheet(
        corrections_sheet,
        (
            "学校",
            "文件",
            "版本",
            "已更正",
            "仍存在",
            "新问题",
            "已更正的问题",
            "仍存在的问题",
            "新出现的问题",
        ),
        (26, 40, 16, 8, 8, 8, 50, 50, 50),
        corrections,
        wrapped=frozenset({"文件", "已更正的问题", "仍存在的问题", "新出现的问题"}),
    )
    for index, values in enumerate(corrections, start=2):
        # Green when the correction fixed everything and added nothing.
        if values[4] == 0 and values[5] == 0:
            for column in range(1, 10):
                corrections_sheet.cell(row=index, column=column).fill = RESOLVED_FILL
    _landscape(corrections_sheet)

    files_sheet = workbook.create_sheet(SHEET_FILES)
    _table_sheet(
        files_sheet,
        ("学校", "文件", "类别", "处理状态", "页数", "版本", "版本状态", "未解决问题", "接收时间", "SHA-256"),
        (26, 48, 12, 10, 6, 6, 16, 10, 17, 20),
        _files_rows(session, documents, everything=authority is None),
        wrapped=frozenset({"文件"}),
    )
    _landscape(files_sheet)

    mail_sheet = workbook.create_sheet(SHEET_MAIL)
    _table_sheet(
        mail_sheet,
        ("接收时间", "发件人", "主题", "学校", "学校识别依据", "附件数", "状态", "邮件问题", "邮件文件"),
        (17, 28, 44, 26, 14, 8, 22, 40, 30),
        _mail_rows(session, set(infos) if authority is not None else None),
        wrapped=frozenset({"主题", "邮件问题"}),
    )
    _landscape(mail_sheet)

    path = Path(path)
    write_atomically(path, workbook.save, suffix=".xlsx")

    return ReportSummary(
        path=path,
        open_findings=len(issues),
        errors=sum(1 for i in issues if i.finding.severity == "error"),
        warnings=sum(1 for i in issues if i.finding.severity == "warning"),
        current_documents=sum(1 for d in documents if d.superseded_by_id is None),
        superseded_documents=sum(1 for d in documents if d.superseded_by_id is not None),
        corrections=len(corrections),
        schools_with_findings=len({i.info.name for i in issues if i.info}),
    )
