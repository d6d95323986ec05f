"""Where the two Attachment 1 tables sit in a grid, and which rows are their bodies.

Schools lay the two tables out in every way a spreadsheet allows: stacked under caption rows
(一、已有试点情况), side by side under two group captions, on two sheets, or in one table whose
left column is a merged vertical label (已有试点 spanning the existing rows, 新申报 spanning the
new ones), with their own header in each span or one header shared by both. A vertical label
is known by its shape, not its wording: a left cell whose text runs down several rows while the
rows beside it change, and whose span holds a header and the rows under it. Its span bounds the
section, so the new applications are never read as more existing pilots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.annex1.headers import (
    EXISTING_FIELDS,
    EXISTING_ONLY,
    MONEY_FIELDS,
    NEW_FIELDS,
    SectionKind,
    caption_group,
    ends_section,
    has_footer_label,
    header_field,
    is_header_row,
    is_note_row,
    is_numeric_text,
    is_subheader,
    is_subtotal_row,
    is_total_row,
    row_fields,
)
from extractors.annex1.values import is_placeholder, normalise_level, parse_count_cell
from extractors.normalize import fold_width
from extractors.tables import Table


@dataclass(frozen=True)
class Section:
    """One Attachment 1 table found in a grid: which kind, where its header is, which column
    holds each field (``yuan`` names money columns whose header says 元, not 万元), and the rows
    its body may take (``body_start`` to ``body_stop``, exclusive)."""

    kind: SectionKind
    table: Table
    header_rows: tuple[int, ...]
    columns: dict[str, int]
    labels: dict[str, str]
    yuan: frozenset[str] = frozenset()
    body_start: int = -1
    body_stop: int = -1

    @property
    def first_body_row(self) -> int:
        return self.body_start if self.body_start >= 0 else self.header_rows[-1] + 1

    @property
    def row_limit(self) -> int:
        return self.body_stop if self.body_stop >= 0 else len(self.table.rows)


@dataclass(frozen=True)
class Band:
    """Rows ``top``..``bottom`` (inclusive) beside one vertical section label, which fills
    columns 0..``last_column`` of those rows."""

    top: int
    bottom: int
    last_column: int
    text: str
    kind: SectionKind | None


# ---- vertical section labels ------------------------------------------------------------------


def _runs(table: Table, column: int) -> list[tuple[int, int, str]]:
    """Maximal runs of one non-empty text down a column."""
    runs: list[tuple[int, int, str]] = []
    start = 0
    rows = table.rows
    while start < len(rows):
        text = table.cell(start, column)
        end = start
        while end + 1 < len(rows) and text and table.cell(end + 1, column) == text:
            end += 1
        if text:
            runs.append((start, end, text))
        start = end + 1
    return runs


def _masked(table: Table, bands: list[Band]) -> Table:
    """The grid with the section labels blanked, so the header and body rows beside them read
    as they would in a table without the label column. Row and column indices stay as in the
    file (evidence and formula references depend on them)."""
    if not bands:
        return table
    rows = [list(row) for row in table.rows]
    for band in bands:
        for r in range(band.top, band.bottom + 1):
            for c in range(band.last_column + 1):
                rows[r][c] = ""
    return Table(rows=rows, sheet=table.sheet, index=table.index, formulas=table.formulas)


def _blank_left(row: list[str], last_column: int) -> list[str]:
    return [""] * (last_column + 1) + row[last_column + 1 :]


def _header_inside(table: Table, top: int, bottom: int, last_column: int) -> int | None:
    """The first header row of a band that has body rows under it (a vertically merged header
    label over a two-row header is no section label)."""
    for r in range(top, bottom + 1):
        row = _blank_left(table.rows[r], last_column)
        if not is_header_row(row):
            continue
        below = r + 1
        while below <= bottom and is_subheader(
            _blank_left(table.rows[below - 1], last_column), _blank_left(table.rows[below], last_column)
        ):
            below += 1
        return r if below <= bottom else None
    return None


def find_bands(table: Table) -> list[Band]:
    """Vertical section labels in the first used column, top to bottom."""
    rows = table.rows
    width = max((len(row) for row in rows), default=0)
    column = next((c for c in range(width) if any(table.cell(r, c) for r in range(len(rows)))), None)
    if column is None or width < 3:
        return []
    headers = [r for r, row in enumerate(rows) if is_header_row(row)]
    bands: list[Band] = []
    for top, bottom, text in _runs(table, column):
        span = range(top, bottom + 1)
        last = column
        while last + 1 < width and all(table.cell(r, last + 1) == text for r in span):
            last += 1
        if last >= width - 2 or is_numeric_text(text) or is_total_row([text]):
            continue  # spans the row (a caption line or an opinion block), or is a value
        kind = caption_group(text)
        inside = _header_inside(table, top, bottom, last)
        if inside is not None and (bottom > top or kind is not None):
            bands.append(Band(top, bottom, last, text, kind))
        elif (
            inside is None
            and kind is not None
            and header_field(text) is None
            and any(h < top for h in headers)
            and any(table.cell(r, c) for r in span for c in range(last + 1, width))
        ):
            # One header above serves both parts; the label says which part these rows are.
            bands.append(Band(top, bottom, last, text, kind))
    return bands


# ---- sections ---------------------------------------------------------------------------------


def find_sections(table: Table) -> list[Section]:
    """Every Attachment 1 table in a grid, top to bottom (two stacked tables in one sheet, side
    by side under two group captions, or beside vertical section labels)."""
    bands = find_bands(table)
    grid = _masked(table, bands)
    sections: list[Section] = []
    start = 0
    for band in [*bands, None]:
        stop = band.top if band else len(grid.rows)
        if start < stop:
            sections.extend(_scan(grid, start, stop, None))
        if band is None:
            break
        found = _scan(grid, band.top, band.bottom + 1, band.kind)
        if not found and band.kind is not None and sections:
            shared = _shared_header_section(grid, sections[-1], band)
            found = [shared] if shared else []
        sections.extend(found)
        start = band.bottom + 1
    return sections


def _shared_header_section(grid: Table, above: Section, band: Band) -> Section | None:
    labels = _combined_labels(grid, list(above.header_rows))
    usable = [c > band.last_column for c in range(len(labels))]
    section = _section(grid, list(above.header_rows), labels, usable, band.kind or above.kind)
    if section is None:
        return None
    return Section(
        section.kind,
        grid,
        section.header_rows,
        section.columns,
        section.labels,
        section.yuan,
        body_start=band.top,
        body_stop=band.bottom + 1,
    )


def _scan(grid: Table, start: int, stop: int, hint: SectionKind | None) -> list[Section]:
    sections: list[Section] = []
    rows = grid.rows
    row_index = start
    while row_index < stop:
        if not is_header_row(rows[row_index]):
            row_index += 1
            continue
        header_rows = [row_index]
        while row_index + len(header_rows) < stop and is_subheader(
            rows[header_rows[-1]], rows[row_index + len(header_rows)]
        ):
            header_rows.append(row_index + len(header_rows))
        caption = _caption_above(grid, row_index, start)
        found = _sections_for_header(grid, header_rows, caption, hint, stop)
        end = header_rows[-1] + 1
        for section in found:
            end = max(end, data_end(section))
        sections.extend(found)
        row_index = end
    return sections


def _caption_above(grid: Table, row_index: int, start: int) -> list[str]:
    """The nearest non-blank row above a header (a blank spacer may stand between them)."""
    for r in range(row_index - 1, max(start, row_index - 3) - 1, -1):
        if any(grid.rows[r]):
            return grid.rows[r]
    return []


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


def _sections_for_header(
    table: Table, header_rows: list[int], caption: list[str], hint: SectionKind | None, stop: int
) -> list[Section]:
    labels = _combined_labels(table, header_rows)
    column_groups = [caption_group(caption[c]) if c < len(caption) else None for c in range(len(labels))]
    found: list[Section] = []
    # Side by side: one header row under two group captions (已有试点 | 新申报).
    if "existing" in column_groups and "new" in column_groups:
        kinds: list[SectionKind] = ["existing", "new"]
        for kind in kinds:
            section = _section(table, header_rows, labels, [g == kind for g in column_groups], kind)
            if section:
                found.append(section)
    else:
        kind = _header_kind(
            {header_field(label) for label in labels}, hint or next((g for g in column_groups if g), None)
        )
        section = _section(table, header_rows, labels, [True] * len(labels), kind)
        if section:
            found.append(section)
    return [_bounded(section, stop) for section in found]


def _header_kind(fields: set[str | None], caption: SectionKind | None) -> SectionKind:
    """Completed and fee columns exist only in the existing-pilots table; a 批次 column alone
    yields to a caption that says 新申报 (some schools give the batch they apply for)."""
    if fields & (EXISTING_ONLY - {"batch"}):
        return "existing"
    if caption is not None:
        return caption
    return "existing" if "batch" in fields else "new"


def _bounded(section: Section, stop: int) -> Section:
    return Section(
        section.kind,
        section.table,
        section.header_rows,
        section.columns,
        section.labels,
        section.yuan,
        body_stop=stop,
    )


def _section(
    table: Table, header_rows: list[int], labels: list[str], usable: list[bool], kind: SectionKind
) -> Section | None:
    wanted = EXISTING_FIELDS if kind == "existing" else NEW_FIELDS
    columns = {
        name: column for name, column in row_fields(labels, usable).items() if name in (*wanted, "seq")
    }
    if "certificate" not in columns:
        return None
    yuan = frozenset(name for name in MONEY_FIELDS if name in columns and _says_yuan(labels[columns[name]]))
    chosen = {name: labels[column] for name, column in columns.items()}
    return Section(kind, table, tuple(header_rows), columns, chosen, yuan)


def _says_yuan(label: str) -> bool:
    folded = fold_width(label)
    return "元" in folded and "万元" not in folded and "万" not in folded


# ---- body rows ------------------------------------------------------------------------------------


def _values(row: list[str], section: Section) -> dict[str, str]:
    return {name: row[c] if c < len(row) else "" for name, c in section.columns.items() if name != "seq"}


def is_filler(row: list[str], section: Section) -> bool:
    """Rows that carry no pilot: blank, 无 / — placeholders, template hints such as （可加行）
    or 以下空白 in any cell, and merged one-text lines."""
    values = _values(row, section)
    filled = [value for value in values.values() if not is_placeholder(value)]
    if not filled:
        return True
    if len(filled) == 1 and _is_remnant(filled[0]):
        return True
    if all(len(value.strip()) <= 2 for value in filled) and not any(
        values.get(name, "").strip() for name in ("scale", "completed", "batch")
    ):
        return True  # specks read as 1 | 1 across the row: no batch, no count, no name
    texts = [text for text in row if text]
    return len(texts) >= 3 and len(set(texts)) == 1


def _is_remnant(text: str) -> bool:
    """What a row holding nothing else cannot mean as a pilot: a character or two (the 批 of
    the batch above, wrapped under the rule) or a scrap with no Chinese and no digit (a speck
    OCR read as JFU)."""
    text = text.strip()
    if len(text) <= 2 and not is_numeric_text(text):
        return True
    return not re.search(r"[\u4e00-\u9fff0-9]", text)


def _looks_like_data(row: list[str], section: Section) -> bool:
    """A pilot row: a certificate and a count or level beside it."""
    values = _values(row, section)
    certificate = values.get("certificate", "")
    if not certificate or is_placeholder(certificate) or is_numeric_text(certificate):
        return False
    try:
        if parse_count_cell(values.get("scale", "")) is not None:
            return True
    except ValueError:
        pass
    level = normalise_level(values.get("level", "")) or ""
    return level in ("初级", "中级", "高级")


def data_end(section: Section) -> int:
    """Index of the first row after this section's body. The body usually ends at its 合计
    row, but a school may put 合计 first; rows after it still belong to the body while they
    are pilot rows, blanks or notes."""
    rows = section.table.rows
    after_total = False
    for r in range(section.first_body_row, section.row_limit):
        row = rows[r]
        if is_total_row(row):
            after_total = True
            continue
        if after_total and (
            has_footer_label(row)
            or not (is_note_row(row) or is_filler(row, section) or _looks_like_data(row, section))
        ):
            return r
        if not is_note_row(row) and ends_section(row):
            return r
    return section.row_limit


def body_rows(section: Section) -> tuple[list[int], int | None]:
    """Data row indices and the 合计 row index of a section. With 小计 rows per group and a
    合计 (or 总计) at the end, the 合计 is the table's total; a lone 小计 is one too."""
    data: list[int] = []
    totals: list[int] = []
    rows = section.table.rows
    for r in range(section.first_body_row, data_end(section)):
        row = rows[r]
        if is_total_row(row):
            totals.append(r)
            continue
        if is_note_row(row) or is_filler(row, section):
            continue
        data.append(r)
    grand = [r for r in totals if not is_subtotal_row(rows[r])]
    chosen = grand or totals
    return data, chosen[-1] if chosen else None
