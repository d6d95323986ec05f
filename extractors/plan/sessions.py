"""考核场次 written as a table: read by its column (or row) labels, not by position.

A schedule table may carry a 序号 or 场次 column, a 考核地点 column whose rooms have numbers
(3号实训楼机房), a 合计 row, header cells that wrap (考核人数（ / 人）), or run sideways with
one column per session (场次 | 第1场 | 第2场 / 考核日期 | … / 考核人数 | …). Reading each
value from the column its header names keeps a room number from becoming a head count.
Tables come as logical rows (``extractors.layout``), so a date wrapped inside its cell is whole.
Sessions written as lines of prose are read elsewhere (``plan_fields``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.normalize import find_dates, fold_width, matching_text, parse_time_range
from extractors.plan.sections import PlanLine
from schemas.plan import ExamSession

_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"日期")),
    ("time", re.compile(r"时间|时段")),
    ("count", re.compile(r"人数|人次|考生数|规模")),
    ("place", re.compile(r"地点|考场|场地")),
    ("index", re.compile(r"^(?:序号|场次|批次|编号)$")),
)
_TOTAL = re.compile(r"^\s*(?:合计|总计|小计|共计)")


def _column_of(label: str) -> str | None:
    folded = fold_width(label).replace(" ", "")
    for name, pattern in _COLUMNS:
        if pattern.search(folded):
            return name
    return None


def _session(date_text: str, time_text: str, count_text: str, default_year: int | None) -> ExamSession | None:
    dates = find_dates(matching_text(date_text), default_year)
    span = parse_time_range(time_text)
    if not dates or span is None:
        return None
    count = re.search(r"\d+", matching_text(count_text))
    return ExamSession(
        date=dates[0][0], start=span[0], end=span[1], count=int(count.group(0)) if count else None
    )


def _by_columns(header: PlanLine, rows: Sequence[PlanLine], default_year: int | None) -> list[ExamSession]:
    columns = {name: index for index, cell in enumerate(header.cells) if (name := _column_of(cell))}
    if not {"date", "time", "count"} <= columns.keys():
        return []
    sessions = []
    for row in rows:
        if len(row.cells) != len(header.cells) or _TOTAL.match(fold_width(row.cells[0])):
            break
        session = _session(
            row.cells[columns["date"]], row.cells[columns["time"]], row.cells[columns["count"]], default_year
        )
        if session is None:
            break
        sessions.append(session)
    return sessions


def _by_rows(rows: Sequence[PlanLine], default_year: int | None) -> list[ExamSession]:
    """A sideways table: each row is one field, each column one session."""
    fields: dict[str, tuple[str, ...]] = {}
    for row in rows:
        name = _column_of(row.cells[0]) if len(row.cells) >= 2 else None
        if name is None:
            break
        fields.setdefault(name, row.cells[1:])
    if not {"date", "time", "count"} <= fields.keys():
        return []
    width = min(len(fields[name]) for name in ("date", "time", "count"))
    sessions = []
    for column in range(width):
        session = _session(
            fields["date"][column], fields["time"][column], fields["count"][column], default_year
        )
        if session is not None:
            sessions.append(session)
    return sessions


def table_sessions(lines: Sequence[PlanLine], default_year: int | None) -> list[ExamSession] | None:
    """The sessions of the plan's schedule table; None when the plan has no such table."""
    for index, line in enumerate(lines):
        if len(line.cells) < 2:
            continue
        named = [_column_of(cell) for cell in line.cells]
        if {"date", "time", "count"} <= set(named):
            sessions = _by_columns(line, lines[index + 1 :], default_year)
            if sessions:
                return sessions
        if named[0] is not None:
            sessions = _by_rows(lines[index:], default_year)
            if sessions:
                return sessions
    return None
