"""Attachment 1 from a scan or a photo: OCR page facts -> the same cell grid an xlsx gives.

The stamped paper table is read by OCR like any page (``extractors.pdf_text`` for PDFs,
``extractors.vision`` for pictures); its ruled rows arrive as lines whose cells carry their
boxes. Here the rows are laid on one column grid (the cell edges of the whole table, merged
where they nearly coincide), a cell spanning several columns or rows is copied into each of
them as a spreadsheet's merged cell is, and lines outside the table become the text around
it. ``parse_annex1`` then reads it exactly as it reads a workbook.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import cast

from extractors.annex1.document import has_annex1_table, parse_annex1
from extractors.budget import Deadline
from extractors.errors import InputFileError
from extractors.normalize import misread_name, typed_school
from extractors.pdf_text import DEFAULT_OCR, read_picture_text
from extractors.tables import Table, TableFile, TableFormat
from extractors.vision.ocr_page import OcrOptions
from schemas.annex1 import Annex1Data
from schemas.document import DocumentResult, ProcessingError
from schemas.facts import Cell, Line, PageFacts
from schemas.round_config import RoundConfig

_EDGE_TOLERANCE = 8.0  # points: two cell edges closer than this are one column border (scans warp)
# Marks OCR leaves at a cell's edges from specks and rule remnants (”2021年第二批, *2.1760).
_STRAY = "*“”\"'‘’`·•,，.。:：;；|_-—~"
# An OCR'd name this close to one of the round's names is that name misread (母要护理).
_NAME_SIMILARITY = 0.8


def _is_row(line: Line) -> bool:
    return len(line.cells) >= 2


def _borders(rows: Sequence[Line]) -> list[float]:
    edges = sorted(edge for row in rows for cell in row.cells for edge in (cell.box.x0, cell.box.x1))
    merged: list[list[float]] = []
    for edge in edges:
        if merged and edge - merged[-1][-1] <= _EDGE_TOLERANCE:
            merged[-1].append(edge)
        else:
            merged.append([edge])
    return [sum(group) / len(group) for group in merged]


def _columns_of(cell: Cell, borders: list[float]) -> list[int]:
    """Indexes of the columns (spaces between neighbouring borders) whose middle the cell
    covers."""
    spans = []
    for index in range(len(borders) - 1):
        centre = (borders[index] + borders[index + 1]) / 2
        if cell.box.x0 <= centre <= cell.box.x1:
            spans.append(index)
    return spans


def _cleaned(text: str) -> str:
    text = text.strip().strip(_STRAY).strip()
    # 合计 is the one word every Attachment 1 prints in a row of its own; OCR reads 台计, 合汁.
    if len(text) == 2 and (text.endswith("计") or text.startswith("合")) and text != "小计":
        return "合计"
    return text


def _grid(rows: Sequence[Line]) -> list[list[str]]:
    """One table's rows on a common column grid, merged cells filled as in a spreadsheet."""
    borders = _borders(rows)
    width = max(len(borders) - 1, 1)
    grid: list[list[str]] = [["" for _ in range(width)] for _ in rows]
    for row_index, row in enumerate(rows):
        for cell in row.cells:
            columns = _columns_of(cell, borders) or [0]
            # A cell taller than its row spans the rows below it (a merged section label).
            spanned = [
                below
                for below in range(row_index, len(rows))
                if below == row_index or rows[below].box.top < cell.box.bottom - _EDGE_TOLERANCE
            ]
            for target in spanned:
                for column in columns:
                    if not grid[target][column]:
                        grid[target][column] = _cleaned(cell.text)
    return grid


def _spans_table(line: Line, run: Sequence[Line]) -> bool:
    """A one-cell line across the table it sits in: a caption row (已有试点信息, 合计 spanning
    the row), part of the table as a merged row is part of a sheet."""
    left = min(row.box.x0 for row in run)
    right = max(row.box.x1 for row in run)
    box = line.cells[0].box if line.cells else line.box
    inside = box.x0 >= left - 2 * _EDGE_TOLERANCE and box.x1 <= right + 2 * _EDGE_TOLERANCE
    return inside and (box.x1 - box.x0) >= 0.5 * (right - left)


def _tables(pages: Sequence[PageFacts]) -> tuple[list[list[Line]], list[str]]:
    """Runs of table rows (one run per table) and the lines outside them, in reading order."""
    tables: list[list[Line]] = []
    text: list[str] = []
    current: list[Line] = []
    held: list[Line] = []  # one-cell lines under a table: captions if another row follows
    for page in pages:
        for line in page.blocks or page.lines:
            if _is_row(line):
                current.extend(held)
                held = []
                current.append(line)
                continue
            if current and _spans_table(line, current):
                held.append(line)
                continue
            if current:
                tables.append(current)
                current = []
            text.extend(held_line.text for held_line in held)
            held = []
            text.append(line.text)
        if current:  # a table that goes on over the page is read as one, border by border
            tables.append(current)
            current = []
        text.extend(held_line.text for held_line in held)
        held = []
    return tables, text


def table_file_from_pages(pages: Sequence[PageFacts]) -> TableFile:
    """The scanned table as a TableFile; the lines around it (title, school, contact, date,
    signature) are its text and paragraphs."""
    runs, text = _tables(pages)
    tables = [Table(rows=_grid(run), sheet=None, index=index) for index, run in enumerate(runs)]
    return TableFile(format=cast(TableFormat, "scan"), tables=tables, text="\n".join(text), paragraphs=text)


def _known(name: str | None, known: Sequence[str]) -> str | None:
    """The round's name an OCR'd ``name`` was misread from, else the name as read."""
    if not name or name in known:
        return name
    return misread_name(name, known, _NAME_SIMILARITY) or name


_BATCH_SHAPE = re.compile(r"20\d{2}\s*年.*批")


def _batch_as_read(batch: str, valid: Sequence[str], doubts: list[str]) -> str | None:
    """An OCR'd batch that is not a valid one: a valid batch misread by a character (2019年第一咎),
    kept when it reads as a batch (2020年批次: the school's own error, reported), and dropped
    with a note for a person when it is not legible as a batch at all."""
    corrected = misread_name(batch, valid, 0.75)
    if corrected is not None:
        return corrected
    if _BATCH_SHAPE.search(batch):
        return batch
    doubts.append(f"已有试点的批次OCR未能识别（读作“{batch}”）")
    return None


def _correct_misread_names(data: Annex1Data, config: RoundConfig, doubts: list[str]) -> None:
    """OCR misreads a character or two of a name (麓山 -> 莫山, 母婴 -> 母要): names within a
    small distance of exactly one of the round's schools or certificates are that name. A name
    not close to any stays as read, so a school's own unknown certificate is still reported."""
    schools = [school.name for school in config.schools]
    certificates = config.certificate_names()
    data.school = _known(data.school.strip(_STRAY).strip() if data.school else data.school, schools)
    for existing in data.existing:
        existing.certificate = _known(existing.certificate, certificates)
        if existing.batch and existing.batch not in config.valid_batches:
            existing.batch = _batch_as_read(existing.batch, config.valid_batches, doubts)
    for new in data.new:
        new.certificate = _known(new.certificate, certificates)


def annex1_from_pages(
    pages: Sequence[PageFacts],
    errors: list[ProcessingError],
    *,
    source: str,
    sha256: str,
    config: RoundConfig,
) -> DocumentResult | None:
    """The pages read as an Attachment 1 (a scan, a photo, a PDF printed from Excel), or None
    when they hold no Attachment 1 table. What could not be read is listed, not guessed."""
    book = table_file_from_pages(pages)
    if not has_annex1_table(book):
        return None
    parse = parse_annex1(book, config)
    doubts: list[str] = []
    if any(page.text_source == "ocr" for page in pages):
        _correct_misread_names(parse.data, config, doubts)
        if parse.data.school and config.school(parse.data.school) is None:
            parse.data.school = typed_school(parse.data.school, source)
    found = [*errors]
    found.extend(
        ProcessingError(
            component="ocr",
            code="file.ocr_low_confidence",
            message=f"附件1为扫描件，{doubt}，请人工查看扫描件核对该项",
        )
        for doubt in doubts
    )
    found.extend(
        ProcessingError(component="annex1", code="annex1.value_unreadable", message=problem)
        for problem in parse.problems
    )
    return DocumentResult(
        source=source,
        sha256=sha256,
        kind="annex1",
        page_count=len(pages),
        pages=list(pages),
        annex1=parse.data,
        errors=found,
        status="partial" if found else "ok",
    )


def extract_annex1_picture(
    content: bytes,
    *,
    source: str,
    config: RoundConfig,
    ocr: OcrOptions = DEFAULT_OCR,
    deadline: Deadline | None = None,
) -> DocumentResult:
    """A JPG/PNG of the signed, stamped Attachment 1, read by OCR. Never raises for a bad
    input: an undecodable picture comes back ``failed`` with its ``file.*`` error, a picture
    without the table ``partial`` with ``annex1.not_found``."""
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        text = read_picture_text(content, ocr, deadline)
    except InputFileError as error:
        return DocumentResult.unreadable(
            source=source, sha256=sha256, kind="annex1", rule=error.rule, message=str(error.args[0])
        )
    result = annex1_from_pages(text.pages, text.errors, source=source, sha256=sha256, config=config)
    if result is not None:
        return result
    unread = [page for page in text.pages if not page.readable]
    message = (
        "图片OCR识别失败，附件1内容需人工核对"
        if unread
        else "图片中没有识别出附件1院校试点信息统计表的表格（批次/证书名称/试点规模等表头），请人工核对"
    )
    return DocumentResult(
        source=source,
        sha256=sha256,
        kind="annex1",
        page_count=len(text.pages),
        pages=text.pages,
        errors=[*text.errors, ProcessingError(component="annex1", code="annex1.not_found", message=message)],
        status="partial",
    )
